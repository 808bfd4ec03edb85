package io.maaskit.tools.onnx.decoder;

import io.maaskit.tools.onnx.OnnxGraphBuilder;
import io.maaskit.tools.onnx.OnnxGraphBuilder.Attr;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The one place a decoder graph's linear layers are emitted, so the quantized variants plug in here
 * and every architecture's compiler gets them. A float32 package's linear is {@code MatMul} on the
 * weight stored transposed ({@code [in, out]}), plus {@code Add} when it has a bias.
 *
 * <pre>{@code
 * Linears linears = new Linears(graph);
 * String y = linears.apply(x, Linears.Weight.of("layer.0.qkv", q, k, v));
 * }</pre>
 */
public final class Linears {
  private final OnnxGraphBuilder g;

  /** Emits into {@code g}. */
  public Linears(OnnxGraphBuilder g) {
    this.g = g;
  }

  /**
   * One linear layer's float32 parameters as the checkpoint stores them.
   *
   * @param name initializer name stem (unique in the graph)
   * @param out output features
   * @param in input features
   * @param weight {@code [out, in]} row-major
   * @param bias {@code [out]}, or null
   */
  public record Weight(String name, int out, int in, float[] weight, float[] bias) {
    public Weight {
      if (weight.length != (long) out * in || (bias != null && bias.length != out)) {
        throw new IllegalArgumentException(
            name + ": weight or bias does not fit " + out + "x" + in);
      }
    }

    /** Layers that read the same input, stacked along the outputs (Q, K, V into one QKV). */
    public static Weight stack(String name, Weight... parts) {
      int in = parts[0].in;
      int out = 0;
      boolean bias = false;
      for (Weight p : parts) {
        if (p.in != in) {
          throw new IllegalArgumentException("cannot stack " + p.name + " onto " + parts[0].name);
        }
        out += p.out;
        bias |= p.bias != null;
      }
      float[] w = new float[out * in];
      float[] b = bias ? new float[out] : null;
      int at = 0;
      for (Weight p : parts) {
        System.arraycopy(p.weight, 0, w, at * in, p.out * in);
        if (p.bias != null) {
          System.arraycopy(p.bias, 0, b, at, p.out);
        }
        at += p.out;
      }
      return new Weight(name, out, in, w, b);
    }
  }

  /** {@code x W^T + b} over the last axis of {@code x}; returns the output's name. */
  public String apply(String x, Weight w) {
    ByteBuffer t =
        ByteBuffer.allocate(w.weight.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < w.in; i++) {
      for (int o = 0; o < w.out; o++) {
        t.putFloat(w.weight[o * w.in + i]);
      }
    }
    String weight =
        g.initializer(
            w.name + ".weight_t", OnnxGraphBuilder.FLOAT, new long[] {w.in, w.out}, t.flip());
    String y = g.op("MatMul", List.of(x, weight));
    if (w.bias == null) {
      return y;
    }
    return g.op("Add", List.of(y, g.floats(w.name + ".bias", w.bias, w.out)));
  }

  /**
   * The LM head tied to the embedding table {@code table} ({@code [vocab, hidden]}, already an
   * initializer): {@code x table^T} for 2-D {@code x}, without a second copy of the table.
   */
  public String tiedHead(String x, String table) {
    return g.op("Gemm", List.of(x, table), Attr.i("transB", 1));
  }
}
