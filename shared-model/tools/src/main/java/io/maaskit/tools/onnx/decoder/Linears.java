package io.maaskit.tools.onnx.decoder;

import static io.maaskit.tools.onnx.OnnxGraphBuilder.FLOAT;
import static io.maaskit.tools.onnx.OnnxGraphBuilder.UINT8;

import io.maaskit.tools.onnx.OnnxGraphBuilder;
import io.maaskit.tools.onnx.OnnxGraphBuilder.Attr;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The one place a decoder graph's linear layers and token tables are emitted, so a package's
 * precision ({@link LinearPrecision}) changes every projection at once:
 *
 * <ul>
 *   <li>float32: {@code MatMul} on the weight stored {@code [in, out]}, then {@code Add} of the
 *       bias;
 *   <li>int8 / int4: one {@code com.microsoft.MatMulNBits} on the weight quantized block-wise along
 *       K ({@link BlockQuantized}), the bias inside the node.
 * </ul>
 *
 * <p>A {@link Table} (token embeddings) is gathered by id and, when the head is tied to it, is the
 * LM head too: float32 as {@code Gather} plus {@code Gemm} with {@code transB}, quantized as {@code
 * MatMulNBits} at {@link LinearPrecision#headBits()} whose packed bytes the lookup gathers and
 * dequantizes (one copy of the table either way).
 *
 * <pre>{@code
 * Linears linears = new Linears(g, LinearPrecision.int4());
 * String y = linears.linear(x, Matrix.of(tensors, "model.layers.0.mlp.up_proj.weight"), null);
 * }</pre>
 */
public final class Linears {
  private final OnnxGraphBuilder g;
  private final LinearPrecision precision;

  public Linears(OnnxGraphBuilder g, LinearPrecision precision) {
    this.g = g;
    this.precision = precision;
  }

  /** The precision every linear gets. */
  public LinearPrecision precision() {
    return precision;
  }

  /** {@code x @ W^T + bias} for {@code W [out, in]} at the layers' precision; bias may be null. */
  public String linear(String x, Matrix w, float[] bias) {
    return linear(x, w, bias, precision.bits());
  }

  /** An untied LM head: the same at the head's precision. */
  public String head(String x, Matrix w) {
    return linear(x, w, null, precision.headBits());
  }

  private String linear(String x, Matrix w, float[] bias, int bits) {
    String b = bias == null ? "" : g.floats(w.name() + "/bias", bias, w.out());
    if (bits == 32) {
      String wt = g.floats(w.name() + "/weight_t", w.transposed(), (long) w.in(), (long) w.out());
      String y = g.op("MatMul", List.of(x, wt));
      return bias == null ? y : g.op("Add", List.of(y, b));
    }
    BlockQuantized q =
        BlockQuantized.quantize(w.values(), w.out(), w.in(), bits, precision.blockSize());
    return matMulNBits(x, w.name(), q, b);
  }

  private String matMulNBits(String x, String name, BlockQuantized q, String bias) {
    return matMulNBits(x, packed(name, q), scales(name, q), q, bias);
  }

  private String matMulNBits(String x, String b, String s, BlockQuantized q, String bias) {
    return g.msOp(
        "MatMulNBits",
        bias.isEmpty() ? List.of(x, b, s) : List.of(x, b, s, "", "", bias),
        Attr.i("K", q.k()),
        Attr.i("N", q.n()),
        Attr.i("bits", q.bits()),
        Attr.i("block_size", q.blockSize()),
        Attr.i("accuracy_level", precision.accuracyLevel(q.bits())));
  }

  private String packed(String name, BlockQuantized q) {
    return g.initializer(name + "/q" + q.bits(), UINT8, q.shape(), ByteBuffer.wrap(q.packed()));
  }

  private String scales(String name, BlockQuantized q) {
    return g.floats(name + "/scales", q.scales(), q.scales().length);
  }

  /**
   * A token table {@code [rows, width]}: rows are looked up by id; when {@code tiedHead}, it is
   * also the LM head. Kept float32 in a float32 graph; quantized at the head's precision (int8 by
   * default) otherwise, as the head is the projection next-token probabilities are most sensitive
   * to.
   */
  public Table table(Matrix table) {
    return new Table(table);
  }

  /** A token table in the graph: one initializer for the lookup and a tied head. */
  public final class Table {
    private final int rows;
    private final int width;
    private final String values;
    private final BlockQuantized q;
    private final String scales;

    private Table(Matrix t) {
      rows = t.out();
      width = t.in();
      if (precision.headBits() == 32) {
        values = g.floats(t.name(), t.values(), (long) rows, (long) width);
        q = null;
        scales = null;
      } else {
        q =
            BlockQuantized.quantize(
                t.values(), rows, width, precision.headBits(), precision.blockSize());
        values = packed(t.name(), q);
        scales = scales(t.name(), q);
      }
    }

    /** The rows of {@code ids} (int64, any shape): {@code ids.shape + [width]} float32. */
    public String gather(String ids) {
      if (q == null) {
        return g.op("Gather", List.of(values, ids));
      }
      if (q.bits() != 8) {
        throw new IllegalStateException("a quantized table is gathered at 8 bits, not " + q.bits());
      }
      // [.., kBlocks, block] stored values, minus the zero point, times each block's scale
      String blocks =
          g.op("Cast", List.of(g.op("Gather", List.of(values, ids))), Attr.i("to", FLOAT));
      String centred = g.op("Sub", List.of(blocks, g.scalar(q.zeroPoint())));
      String s =
          g.op(
              "Gather",
              List.of(g.op("Reshape", List.of(scales, g.vector(rows, q.kBlocks(), 1))), ids));
      String flat =
          g.op(
              "Reshape",
              List.of(
                  g.op("Mul", List.of(centred, s)),
                  g.vector(0, 0, (long) q.kBlocks() * q.blockSize())));
      if (q.kBlocks() * q.blockSize() == width) {
        return flat;
      }
      return g.op("Slice", List.of(flat, g.vector(0), g.vector(width), g.vector(-1)));
    }

    /**
     * The tied LM head: {@code x [batch, width]} times the table's transpose, {@code [batch,
     * rows]}.
     */
    public String head(String x) {
      if (q == null) {
        return g.op("Gemm", List.of(x, values), Attr.i("transB", 1));
      }
      return matMulNBits(x, values, scales, q, "");
    }
  }
}
