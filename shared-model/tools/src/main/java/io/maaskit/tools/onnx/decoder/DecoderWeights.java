package io.maaskit.tools.onnx.decoder;

import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.engine.Weights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * A decoder checkpoint's tensors as the graph compilers read them: float32 values whatever the
 * stored type (F32, BF16, F16, or int8/uint8 with {@link Weights#SCALE} per row or for all and an
 * optional {@link Weights#ZERO_POINT}, dequantized exactly as the eager loader does).
 */
public final class DecoderWeights {
  private final Map<String, Tensor> tensors;

  /** Over the tensors of a checkpoint (all shards). */
  public DecoderWeights(Map<String, Tensor> tensors) {
    this.tensors = tensors;
  }

  /** Whether the checkpoint has {@code name}. */
  public boolean has(String name) {
    return tensors.containsKey(name);
  }

  /** The stored tensor (for compilers that keep a quantized package's own bytes). */
  public Tensor tensor(String name) throws IOException {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IOException("weights lack " + name);
    }
    return t;
  }

  /** The dimensions of {@code name}. */
  public long[] shape(String name) throws IOException {
    return tensor(name).shape();
  }

  /** The values of {@code name} as float32, row-major. */
  public float[] floats(String name) throws IOException {
    Tensor t = tensor(name);
    int n = Math.toIntExact(t.elementCount());
    ByteBuffer b = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[n];
    switch (t.dtype()) {
      case "F32" -> b.asFloatBuffer().get(out);
      case "BF16" -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
        }
      }
      case "F16" -> {
        for (int i = 0; i < n; i++) {
          out[i] = halfToFloat(b.getShort(i * 2));
        }
      }
      case "I8", "U8" -> dequantize(name, t, b, out);
      default ->
          throw new IOException(name + " is " + t.dtype() + "; expected F32, BF16, F16, I8 or U8");
    }
    return out;
  }

  private void dequantize(String name, Tensor t, ByteBuffer b, float[] out) throws IOException {
    boolean unsigned = t.dtype().equals("U8");
    float[] scale = floats(name + Weights.SCALE);
    float[] zero = has(name + Weights.ZERO_POINT) ? floats(name + Weights.ZERO_POINT) : null;
    int rows = t.shape().length < 2 ? 1 : Math.toIntExact(t.shape()[0]);
    int width = out.length / rows;
    for (int i = 0; i < out.length; i++) {
      int row = i / width;
      float q = unsigned ? b.get(i) & 0xff : b.get(i);
      float z = zero == null ? 0 : zero[zero.length == 1 ? 0 : row];
      out[i] = (q - z) * scale[scale.length == 1 ? 0 : row];
    }
  }

  private static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
