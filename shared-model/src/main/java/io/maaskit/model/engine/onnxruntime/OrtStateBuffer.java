package io.maaskit.model.engine.onnxruntime;

import io.maaskit.model.engine.CompiledGraph;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Native float32 memory for {@link OrtGraph}'s state: one direct, native-order buffer (ONNX
 * Runtime's Java API wraps a slice of it as a tensor without copying). {@link #close} frees it at
 * once through the JDK's buffer cleaner, instead of whenever the garbage collector notices, so a
 * closed cache gives its memory back immediately; where the JDK does not offer that, the collector
 * frees it later.
 */
final class OrtStateBuffer implements CompiledGraph.StateBuffer {
  private static final Method INVOKE_CLEANER;
  private static final Object UNSAFE;

  static {
    Method m = null;
    Object u = null;
    try {
      Class<?> c = Class.forName("sun.misc.Unsafe");
      Field f = c.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      u = f.get(null);
      m = c.getMethod("invokeCleaner", ByteBuffer.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      m = null;
    }
    INVOKE_CLEANER = m;
    UNSAFE = u;
  }

  private final long floats;
  private ByteBuffer buffer;

  OrtStateBuffer(long floats) {
    if (floats <= 0 || floats > Integer.MAX_VALUE / Float.BYTES) {
      throw new IllegalArgumentException(
          "a state buffer holds 1.." + Integer.MAX_VALUE / Float.BYTES + " floats, not " + floats);
    }
    this.floats = floats;
    this.buffer =
        ByteBuffer.allocateDirect((int) floats * Float.BYTES).order(ByteOrder.nativeOrder());
  }

  @Override
  public long floats() {
    return floats;
  }

  /** A native-order view of {@code shape} floats starting {@code offset} floats in. */
  synchronized ByteBuffer slice(long offset, long[] shape) {
    long n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
    return open()
        .slice((int) offset * Float.BYTES, (int) n * Float.BYTES)
        .order(ByteOrder.nativeOrder());
  }

  @Override
  public synchronized void copyTo(long from, CompiledGraph.StateBuffer target, long to, long n) {
    if (!(target instanceof OrtStateBuffer t)) {
      throw new IllegalArgumentException("state buffer of another engine");
    }
    if (from < 0 || to < 0 || from + n > floats || to + n > t.floats) {
      throw new IllegalArgumentException("copy of " + n + " floats is out of bounds");
    }
    t.open().put((int) to * Float.BYTES, open(), (int) from * Float.BYTES, (int) n * Float.BYTES);
  }

  private ByteBuffer open() {
    if (buffer == null) {
      throw new IllegalStateException("the state buffer is closed");
    }
    return buffer;
  }

  @Override
  public synchronized void close() {
    ByteBuffer b = buffer;
    buffer = null;
    if (b != null && INVOKE_CLEANER != null) {
      try {
        INVOKE_CLEANER.invoke(UNSAFE, b);
      } catch (ReflectiveOperationException | RuntimeException e) {
        // left to the garbage collector
      }
    }
  }
}
