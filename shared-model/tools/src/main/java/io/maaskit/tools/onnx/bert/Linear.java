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
