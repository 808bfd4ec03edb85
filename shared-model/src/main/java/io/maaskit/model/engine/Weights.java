package io.maaskit.model.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.maaskit.model.engine.Safetensors.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns safetensors tensors into engine arrays in the compute dtype. A quantized weight {@code W}
 * is stored as int8/uint8 {@code W} plus {@code W.scale} (float32, one per row, or a scalar) and an
 * optional {@code W.zero_point}; it is dequantized here, at load, as {@code (W - zero_point) *
 * scale}.
 */
public final class Weights {
  /** Suffix of the per-row scale tensor of a quantized weight. */
  public static final String SCALE = ".scale";

  /** Suffix of the optional zero point of a quantized weight. */
  public static final String ZERO_POINT = ".zero_point";

  private final Map<String, Tensor> tensors;
  private final NDManager manager;
  private final DataType computeType;
  private final String prefix;
  private final Set<String> used = new TreeSet<>();

  public Weights(
      Map<String, Tensor> tensors, NDManager manager, DataType computeType, String prefix) {
    this.tensors = tensors;
    this.manager = manager;
    this.computeType = computeType;
    this.prefix = prefix == null ? "" : prefix;
  }

  /** Whether a tensor exists. */
  public boolean has(String name) {
    return tensors.containsKey(prefix + name);
  }

  /** Loads a tensor in the compute dtype, dequantizing if needed. */
  public NDArray get(String name) {
    String key = prefix + name;
    Tensor t = tensors.get(key);
    if (t == null) {
      throw new IllegalArgumentException("weights are missing tensor '" + key + "'");
    }
    used.add(key);
    NDArray raw = toArray(t, manager);
    if (t.dtype().equals("I8") || t.dtype().equals("U8")) {
      Tensor scaleT = tensors.get(key + SCALE);
      if (scaleT == null) {
        throw new IllegalArgumentException(
            "quantized tensor '" + key + "' has no '" + key + SCALE + "'");
      }
      used.add(key + SCALE);
      NDArray q = raw.toType(DataType.FLOAT32, false);
      raw.close();
      Tensor zpT = tensors.get(key + ZERO_POINT);
      if (zpT != null) {
        used.add(key + ZERO_POINT);
        NDArray zp = toArray(zpT, manager).toType(DataType.FLOAT32, false);
        q = q.sub(broadcastRows(zp, q));
      }
      NDArray scale = toArray(scaleT, manager).toType(DataType.FLOAT32, false);
      NDArray deq = q.mul(broadcastRows(scale, q));
      return deq.toType(computeType, false);
    }
    if (raw.getDataType() == computeType) {
      return raw;
    }
    NDArray converted = raw.toType(computeType, false);
    raw.close(); // a bf16/fp16 source must not stay resident beside its converted copy
    return converted;
  }

  private static NDArray broadcastRows(NDArray perRow, NDArray like) {
    if (perRow.getShape().size() == 1 || like.getShape().dimension() < 2) {
      return perRow.getShape().size() == 1 ? perRow.reshape(new Shape()) : perRow;
    }
    return perRow.reshape(perRow.getShape().size(), 1);
  }

  /** Names of tensors not consumed by {@link #get}; importers use it to refuse unknown weights. */
  public Set<String> unused() {
    Set<String> all = new TreeSet<>(tensors.keySet());
    all.removeAll(used);
    return all;
  }

  /** Creates an engine array from a tensor's bytes (copied into native memory). */
  public static NDArray toArray(Tensor t, NDManager manager) {
    if (t.dtype().equals("BF16")) {
      // bf16 is the top half of an fp32; widened here because the engine's native bf16 import
      // is not dependable (PyTorch-on-DJL aborts the process on it).
      ByteBuffer src = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer wide =
          ByteBuffer.allocateDirect(src.remaining() * 2).order(ByteOrder.nativeOrder());
      while (src.hasRemaining()) {
        wide.putFloat(Float.intBitsToFloat((src.getShort() & 0xFFFF) << 16));
      }
      wide.flip();
      return manager.create(wide, new Shape(t.shape()), DataType.FLOAT32);
    }
    DataType dt =
        switch (t.dtype()) {
          case "F32" -> DataType.FLOAT32;
          case "F16" -> DataType.FLOAT16;
          case "I8" -> DataType.INT8;
          case "U8" -> DataType.UINT8;
          case "I32" -> DataType.INT32;
          case "I64" -> DataType.INT64;
          case "F64" -> DataType.FLOAT64;
          default -> throw new IllegalArgumentException("unsupported tensor dtype " + t.dtype());
        };
    ByteBuffer src = t.data().duplicate();
    ByteBuffer direct = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.nativeOrder());
    direct.put(src).flip();
    return manager.create(direct, new Shape(t.shape()), dt);
  }
}
