package io.maaskit.tools.quant;

import io.maaskit.model.engine.Safetensors.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Symmetric int8 quantization with one scale per row: {@code scale = max|row| / 127}, {@code q =
 * round(w / scale)} clamped to [-127, 127], no zero point. For a linear weight stored {@code [out,
 * in]} a row is an output channel; for an embedding table it is one token's vector.
 *
 * <p>The range is symmetric (-127..127, not -128) so that {@code -w} quantizes to {@code -q}, and
 * the worst-case error of any element is half a step, {@code scale / 2}.
 *
 * <pre>{@code
 * SymmetricInt8.Quantized q = SymmetricInt8.quantizeRows(weights.get("encoder.layer.0.output.dense.weight"));
 * q.values();  // I8 [out, in]
 * q.scale();   // F32 [out]
 * }</pre>
 */
public final class SymmetricInt8 {
  /** Largest magnitude of a quantized value. */
  public static final int QMAX = 127;

  private SymmetricInt8() {}

  /**
   * A quantized tensor: int8 values with the original shape and float32 scales, one per row.
   *
   * @param values {@code I8} tensor, same shape as the input
   * @param scale {@code F32} tensor of shape {@code [rows]}
   */
  public record Quantized(Tensor values, Tensor scale) {}

  /** Quantizes a float32 tensor of rank ≥ 2 row by row (rows = first dimension). */
  public static Quantized quantizeRows(Tensor t) {
    if (!"F32".equals(t.dtype()) || t.shape().length < 2) {
      throw new IllegalArgumentException("expected a float32 tensor of rank >= 2, got " + t);
    }
    float[] w = t.toFloats();
    int rows = Math.toIntExact(t.shape()[0]);
    int cols = rows == 0 ? 0 : w.length / rows;
    byte[] q = new byte[w.length];
    float[] scales = new float[rows];
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      float max = 0;
      for (int i = base; i < base + cols; i++) {
        float a = Math.abs(w[i]);
        if (!(a <= Float.MAX_VALUE)) {
          throw new IllegalArgumentException("row " + r + " holds a non-finite value " + w[i]);
        }
        max = Math.max(max, a);
      }
      float scale = max / QMAX;
      scales[r] = scale;
      if (scale == 0f) {
        continue; // an all-zero row stays zero whatever the scale
      }
      for (int i = base; i < base + cols; i++) {
        int v = Math.round(w[i] / scale);
        q[i] = (byte) Math.max(-QMAX, Math.min(QMAX, v));
      }
    }
    ByteBuffer values = ByteBuffer.wrap(q).order(ByteOrder.LITTLE_ENDIAN);
    return new Quantized(
        new Tensor("I8", t.shape().clone(), values), Tensor.ofFloats(scales, rows));
  }

  /** The float32 values a quantized tensor stands for ({@code q * scale}); for tests and tools. */
  public static float[] dequantize(Quantized q) {
    byte[] v = new byte[q.values().data().remaining()];
    q.values().data().duplicate().get(v);
    float[] scales = q.scale().toFloats();
    int cols = scales.length == 0 ? 0 : v.length / scales.length;
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] * scales[i / cols];
    }
    return out;
  }
}
