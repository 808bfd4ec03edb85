package io.maaskit.tools.onnx.decoder;

import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.engine.Weights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * A weight matrix in float32, row-major {@code [out, in]} (the layout of a PyTorch {@code
 * nn.Linear} weight and of MatMulNBits' {@code B}), read from a package's tensors whatever their
 * stored dtype: F32, BF16, F16, or int8/uint8 with a {@code .scale} per row or one for all (and an
 * optional {@code .zero_point}), dequantized.
 *
 * @param name the tensor's name
 * @param out rows
 * @param in columns
 * @param values {@code out * in} floats
 */
public record Matrix(String name, int out, int in, float[] values) {
  public Matrix {
    if (values.length != (long) out * in) {
      throw new IllegalArgumentException(
          name + ": " + values.length + " values for " + out + "x" + in);
    }
  }

  /** A stored {@code [out, in]} matrix. */
  public static Matrix of(Map<String, Tensor> tensors, String name) throws IOException {
    Tensor t = require(tensors, name);
    if (t.shape().length != 2) {
      throw new IOException(name + " is not a matrix: " + t);
    }
    return new Matrix(
        name, Math.toIntExact(t.shape()[0]), Math.toIntExact(t.shape()[1]), floats(tensors, name));
  }

  /**
   * A stored {@code [in, out]} matrix (GPT-2's {@code Conv1D}), transposed to {@code [out, in]}.
   */
  public static Matrix ofInOut(Map<String, Tensor> tensors, String name) throws IOException {
    Matrix m = of(tensors, name);
    return new Matrix(name, m.in, m.out, transpose(m.values, m.out, m.in));
  }

  /** The transpose {@code [in, out]}, as MatMul's right-hand side wants it. */
  public float[] transposed() {
    return transpose(values, out, in);
  }

  private static float[] transpose(float[] v, int rows, int cols) {
    float[] t = new float[v.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = v[r * cols + c];
      }
    }
    return t;
  }

  /** Any stored tensor (a bias, a norm's weight) as float32. */
  public static float[] floats(Map<String, Tensor> tensors, String name) throws IOException {
    Tensor t = require(tensors, name);
    int n = Math.toIntExact(t.elementCount());
    ByteBuffer d = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[n];
    switch (t.dtype()) {
      case "F32" -> d.asFloatBuffer().get(out);
      case "BF16" -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((d.getShort() & 0xFFFF) << 16);
        }
      }
      case "F16" -> {
        for (int i = 0; i < n; i++) {
          out[i] = half(d.getShort());
        }
      }
      case "I8", "U8" -> dequantize(tensors, name, t, d, out);
      default ->
          throw new IOException(name + " is " + t.dtype() + "; expected F32, BF16, F16, I8 or U8");
    }
    return out;
  }

  /** IEEE 754 binary16 to float32 (Java 17 has no Float.float16ToFloat). */
  static float half(short h) {
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f; // subnormal (or zero)
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  private static void dequantize(
      Map<String, Tensor> tensors, String name, Tensor t, ByteBuffer d, float[] out)
      throws IOException {
    Tensor s = tensors.get(name + Weights.SCALE);
    if (s == null) {
      throw new IOException("quantized " + name + " has no " + name + Weights.SCALE);
    }
    float[] scales = s.toFloats();
    Tensor zpT = tensors.get(name + Weights.ZERO_POINT);
    boolean signed = t.dtype().equals("I8");
    int rows = scales.length;
    if (rows == 0 || out.length % rows != 0) {
      throw new IOException(name + Weights.SCALE + " has " + rows + " values for " + t);
    }
    int cols = out.length / rows;
    byte[] zp = new byte[zpT == null ? 0 : Math.toIntExact(zpT.elementCount())];
    if (zpT != null) {
      zpT.data().duplicate().get(zp);
    }
    for (int i = 0; i < out.length; i++) {
      byte b = d.get();
      int q = signed ? b : b & 0xFF;
      if (zp.length > 0) {
        byte z = zp[zp.length == 1 ? 0 : i / cols];
        q -= signed ? z : z & 0xFF;
      }
      out[i] = q * scales[i / cols];
    }
  }

  private static Tensor require(Map<String, Tensor> tensors, String name) throws IOException {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IOException("weights lack tensor '" + name + "'");
    }
    return t;
  }
}
