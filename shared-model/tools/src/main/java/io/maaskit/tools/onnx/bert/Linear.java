package io.maaskit.tools.onnx.bert;

import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.engine.Weights;
import io.maaskit.tools.onnx.OnnxGraphBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;

/**
 * One linear layer as a package stores it ({@code W [out, in]} fp32, or int8/uint8 with a scale per
 * output channel or one for all and an optional zero point, plus a fp32 bias), in the shape the
 * graph wants: the weight transposed to {@code [in, out]}, scales and zero points one per output.
 *
 * @param name the layer's name (without {@code .weight})
 * @param out output features
 * @param in input features
 * @param f32 fp32 weights {@code [out, in]} or null
 * @param q quantized weights {@code [out, in]} or null
 * @param dtype ONNX element type of {@code q}
 * @param scales per-output scales of {@code q}
 * @param zeroPoints per-output zero points of {@code q}, or null for symmetric
 * @param bias the bias {@code [out]}
 */
record Linear(
    String name,
    int out,
    int in,
    float[] f32,
    byte[] q,
    int dtype,
    float[] scales,
    byte[] zeroPoints,
    float[] bias) {

  static Linear of(Map<String, Tensor> tensors, String name) throws IOException {
    Tensor w = tensors.get(name + ".weight");
    Tensor b = tensors.get(name + ".bias");
    if (w == null || b == null) {
      throw new IOException("weights lack " + name + ".weight or " + name + ".bias");
    }
    if (w.shape().length != 2) {
      throw new IOException(name + ".weight is not a matrix: " + w);
    }
    int out = Math.toIntExact(w.shape()[0]);
    int in = Math.toIntExact(w.shape()[1]);
    float[] bias = b.toFloats();
    if (w.dtype().equals("F32")) {
      return new Linear(name, out, in, w.toFloats(), null, 0, null, null, bias);
    }
    if (!w.dtype().equals("I8") && !w.dtype().equals("U8")) {
      throw new IOException(name + ".weight is " + w.dtype() + "; expected F32, I8 or U8");
    }
    Tensor s = tensors.get(name + ".weight" + Weights.SCALE);
    if (s == null) {
      throw new IOException("quantized " + name + ".weight has no scale");
    }
    float[] scales = perOutput(s.toFloats(), out, name + ".weight" + Weights.SCALE);
    byte[] q = new byte[out * in];
    w.data().duplicate().get(q);
    Tensor zp = tensors.get(name + ".weight" + Weights.ZERO_POINT);
    byte[] zeroPoints = null;
    if (zp != null) {
      byte[] z = new byte[Math.toIntExact(zp.elementCount())];
      zp.data().duplicate().get(z);
      zeroPoints = z.length == out ? z : filled(z, out, name);
    }
    int dtype = w.dtype().equals("I8") ? OnnxGraphBuilder.INT8 : OnnxGraphBuilder.UINT8;
    return new Linear(name, out, in, null, q, dtype, scales, zeroPoints, bias);
  }

  private static float[] perOutput(float[] s, int out, String name) throws IOException {
    if (s.length == out) {
      return s;
    }
    if (s.length == 1) {
      float[] f = new float[out];
      Arrays.fill(f, s[0]);
      return f;
    }
    throw new IOException(name + " has " + s.length + " values for " + out + " outputs");
  }

  private static byte[] filled(byte[] z, int out, String name) throws IOException {
    if (z.length != 1) {
      throw new IOException(name + " zero point has " + z.length + " values for " + out);
    }
    byte[] f = new byte[out];
    Arrays.fill(f, z[0]);
    return f;
  }

  boolean isQuantized() {
    return q != null;
  }

  long[] dims() {
    return new long[] {in, out};
  }

  /** The same layer with weights and bias multiplied by {@code c} (for int8: the scales). */
  Linear scaled(float c) {
    float[] b = bias.clone();
    for (int i = 0; i < b.length; i++) {
      b[i] *= c;
    }
    if (isQuantized()) {
      float[] s = scales.clone();
      for (int i = 0; i < s.length; i++) {
        s[i] *= c;
      }
      return new Linear(name, out, in, null, q, dtype, s, zeroPoints, b);
    }
    float[] w = f32.clone();
    for (int i = 0; i < w.length; i++) {
      w[i] *= c;
    }
    return new Linear(name, out, in, w, null, 0, null, null, b);
  }

  /**
   * The same layer for an input divided channel-wise by {@code s} (SmoothQuant): column {@code k}
   * of the weight multiplied by {@code s[k]}, so {@code (x / s) W'ᵀ = x Wᵀ}. An int8 layer is
   * dequantized, scaled and quantized again per output row (symmetric, as the package's own
   * weights), so the graph's int8 values differ from the package's where the column scales moved a
   * row's range.
   */
  Linear smoothed(float[] s) {
    if (s.length != in) {
      throw new IllegalArgumentException(name + ": " + s.length + " smoothing factors for " + in);
    }
    float[] w = isQuantized() ? dequantized() : f32.clone();
    for (int o = 0; o < out; o++) {
      for (int k = 0; k < in; k++) {
        w[o * in + k] *= s[k];
      }
    }
    Linear f = new Linear(name, out, in, w, null, 0, null, null, bias);
    return isQuantized() ? f.quantized() : f;
  }

  /**
   * Output rows {@code [from, from + f.length)} (weights and bias) multiplied by {@code f}; exact
   * on int8 weights, whose row scales absorb it.
   */
  Linear rowsScaled(int from, float[] f) {
    float[] b = bias.clone();
    float[] s = isQuantized() ? scales.clone() : null;
    float[] w = isQuantized() ? null : f32.clone();
    for (int r = 0; r < f.length; r++) {
      int o = from + r;
      b[o] *= f[r];
      if (s != null) {
        s[o] *= f[r];
      } else {
        for (int k = 0; k < in; k++) {
          w[o * in + k] *= f[r];
        }
      }
    }
    return new Linear(name, out, in, w, q, dtype, s, zeroPoints, b);
  }

  /** The same layer under another name (its initializers are named after it). */
  Linear renamed(String newName) {
    return new Linear(newName, out, in, f32, q, dtype, scales, zeroPoints, bias);
  }

  /**
   * The same layer for an input shifted by {@code z} per channel: {@code b + W z} as the bias, so
   * {@code (x - z) Wᵀ + b'} = {@code x Wᵀ + b}.
   */
  Linear shifted(float[] z) {
    float[] w = dequantized();
    float[] b = bias.clone();
    for (int o = 0; o < out; o++) {
      double acc = 0;
      for (int k = 0; k < in; k++) {
        acc += (double) w[o * in + k] * z[k];
      }
      b[o] += (float) acc;
    }
    return new Linear(name, out, in, f32, q, dtype, scales, zeroPoints, b);
  }

  /** The same layer with a zero bias. */
  Linear withoutBias() {
    return new Linear(name, out, in, f32, q, dtype, scales, zeroPoints, new float[out]);
  }

  /** Output rows {@code [from, from + d.length)} with {@code d} added to their bias. */
  Linear biasAdded(int from, float[] d) {
    float[] b = bias.clone();
    for (int r = 0; r < d.length; r++) {
      b[from + r] += d[r];
    }
    return new Linear(name, out, in, f32, q, dtype, scales, zeroPoints, b);
  }

  /** Symmetric int8 per output row, {@code scale = max|row| / 127}, as the quantizer stores. */
  Linear quantized() {
    float[] w = isQuantized() ? dequantized() : f32;
    byte[] values = new byte[out * in];
    float[] s = new float[out];
    for (int o = 0; o < out; o++) {
      float max = 0;
      for (int k = 0; k < in; k++) {
        max = Math.max(max, Math.abs(w[o * in + k]));
      }
      s[o] = max / 127f;
      if (s[o] == 0f) {
        continue;
      }
      for (int k = 0; k < in; k++) {
        int v = Math.round(w[o * in + k] / s[o]);
        values[o * in + k] = (byte) Math.max(-127, Math.min(127, v));
      }
    }
    return new Linear(name, out, in, null, values, OnnxGraphBuilder.INT8, s, null, bias);
  }

  /** The float weights {@code [out, in]} the layer stands for. */
  float[] dequantized() {
    if (!isQuantized()) {
      return f32;
    }
    float[] w = new float[out * in];
    for (int o = 0; o < out; o++) {
      int zp =
          zeroPoints == null
              ? 0
              : (dtype == OnnxGraphBuilder.UINT8 ? zeroPoints[o] & 0xff : zeroPoints[o]);
      for (int k = 0; k < in; k++) {
        int v = dtype == OnnxGraphBuilder.UINT8 ? q[o * in + k] & 0xff : q[o * in + k];
        w[o * in + k] = (v - zp) * scales[o];
      }
    }
    return w;
  }

  /** Largest |w| of each input column (the weight side of SmoothQuant's factors). */
  float[] columnAbsMax() {
    float[] w = dequantized();
    float[] m = new float[in];
    for (int o = 0; o < out; o++) {
      for (int k = 0; k < in; k++) {
        m[k] = Math.max(m[k], Math.abs(w[o * in + k]));
      }
    }
    return m;
  }

  /** Layers with the same input stacked along the outputs (Q, K, V → QKV). */
  static Linear concat(Linear... parts) {
    Linear first = parts[0];
    int out = 0;
    for (Linear p : parts) {
      if (p.in != first.in || p.isQuantized() != first.isQuantized() || p.dtype != first.dtype) {
        throw new IllegalArgumentException("cannot stack " + p.name + " onto " + first.name);
      }
      if ((p.zeroPoints == null) != (first.zeroPoints == null)) {
        throw new IllegalArgumentException(
            "zero points differ between " + p.name + " and " + first.name);
      }
      out += p.out;
    }
    float[] bias = new float[out];
    float[] f32 = first.isQuantized() ? null : new float[out * first.in];
    byte[] q = first.isQuantized() ? new byte[out * first.in] : null;
    float[] scales = first.isQuantized() ? new float[out] : null;
    byte[] zp = first.zeroPoints != null ? new byte[out] : null;
    int at = 0;
    for (Linear p : parts) {
      System.arraycopy(p.bias, 0, bias, at, p.out);
      if (f32 != null) {
        System.arraycopy(p.f32, 0, f32, at * p.in, p.out * p.in);
      } else {
        System.arraycopy(p.q, 0, q, at * p.in, p.out * p.in);
        System.arraycopy(p.scales, 0, scales, at, p.out);
        if (zp != null) {
          System.arraycopy(p.zeroPoints, 0, zp, at, p.out);
        }
      }
      at += p.out;
    }
    String name = first.name.substring(0, first.name.lastIndexOf('.') + 1) + "qkv";
    return new Linear(name, out, first.in, f32, q, first.dtype, scales, zp, bias);
  }

  /** The weight transposed to {@code [in, out]}, as little-endian raw tensor data. */
  ByteBuffer weightT() {
    if (isQuantized()) {
      byte[] t = new byte[q.length];
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
          t[i * out + o] = q[o * in + i];
        }
      }
      return ByteBuffer.wrap(t);
    }
    ByteBuffer b = ByteBuffer.allocate(f32.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        b.putFloat(f32[o * in + i]);
      }
    }
    return b.flip();
  }
}
