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
 *   <li>float32: {@code MatMul} on the weight stored transposed ({@code [in, out]}), plus {@code
 *       Add} when it has a bias;
 *   <li>int8 / int4: one {@code com.microsoft.MatMulNBits} on the weight quantized block-wise along
 *       K ({@link BlockQuantized}, rounded as {@link LinearPrecision#rounding()} says: with
 *       per-block zero points unless symmetric), the bias inside the node.
 * </ul>
 *
 * <p>A {@link Table} (token embeddings) is gathered by id and, when the head is tied to it, is the
 * LM head too: float32 as {@code Gather} plus {@code Gemm} with {@code transB}, quantized as {@code
 * MatMulNBits} at {@link LinearPrecision#headBits()} whose packed bytes the lookup gathers and
 * dequantizes (one copy of the table either way).
 *
 * <pre>{@code
 * Linears linears = new Linears(graph, LinearPrecision.int4());
 * String y = linears.apply(x, Linears.Weight.stack("layer.0.qkv", q, k, v), Role.QKV, 0);
 * graph.linearBits();  // {layer.0.qkv=4, ...}: what each linear got
 * }</pre>
 */
public final class Linears {
  private final OnnxGraphBuilder g;
  private final LinearPrecision precision;

  /**
   * What a layer linear does in a decoder block, the same words for every architecture: a precision
   * can hold one role (or one role in one layer) at other bits ({@link
   * LinearPrecision#linearBits()}).
   */
  public enum Role {
    /** The attention input projection (Q, K and V stacked; GPT-2's {@code c_attn}). */
    QKV("qkv"),
    /** The attention output projection ({@code o_proj}; GPT-2's {@code attn.c_proj}). */
    O("o"),
    /** The MLP's widening projection (gate and up stacked; GPT-2's {@code c_fc}). */
    UP("up"),
    /** The MLP's narrowing projection ({@code down_proj}; GPT-2's {@code mlp.c_proj}). */
    DOWN("down");

    private final String label;

    Role(String label) {
      this.label = label;
    }

    /** The selector word: {@code qkv}, {@code o}, {@code up} or {@code down}. */
    public String label() {
      return label;
    }
  }

  /** Emits float32 linears into {@code g}. */
  public Linears(OnnxGraphBuilder g) {
    this(g, LinearPrecision.FLOAT32);
  }

  /** Emits linears at {@code precision} into {@code g}. */
  public Linears(OnnxGraphBuilder g, LinearPrecision precision) {
    this.g = g;
    this.precision = precision;
  }

  /** The precision every linear gets. */
  public LinearPrecision precision() {
    return precision;
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

    /** The weight transposed, {@code [in, out]}: MatMul's right-hand side. */
    float[] transposed() {
      float[] t = new float[weight.length];
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
          t[i * out + o] = weight[o * in + i];
        }
      }
      return t;
    }
  }

  /** {@code x W^T + b} over the last axis of {@code x}, at the layers' precision. */
  public String apply(String x, Weight w) {
    return linear(x, w, precision.bits());
  }

  /**
   * {@code x W^T + b} for the {@code role} linear of layer {@code layer}, at the bits the precision
   * gives it ({@link LinearPrecision#bits(Role, int)}).
   */
  public String apply(String x, Weight w, Role role, int layer) {
    return linear(x, w, precision.bits(role, layer));
  }

  /** An untied LM head: the same at the head's precision. */
  public String head(String x, Weight w) {
    return linear(x, w, precision.headBits());
  }

  /**
   * The LM head tied to a float32 table that is already an initializer ({@code [vocab, hidden]}):
   * {@code x table^T} for 2-D {@code x}, without a second copy. A quantized graph's table comes
   * from {@link #table} instead, whose {@link Table#head} is the tied head.
   */
  public String tiedHead(String x, String table) {
    if (precision.headBits() != 32) {
      throw new IllegalStateException("a quantized graph's tied head is Linears.table(...).head");
    }
    return g.op("Gemm", List.of(x, table), Attr.i("transB", 1));
  }

  private String linear(String x, Weight w, int bits) {
    g.linearBits(w.name(), bits);
    String b = w.bias() == null ? "" : g.floats(w.name() + ".bias", w.bias(), w.out());
    if (bits == 32) {
      String wt = g.floats(w.name() + ".weight_t", w.transposed(), (long) w.in(), (long) w.out());
      String y = g.op("MatMul", List.of(x, wt));
      return b.isEmpty() ? y : g.op("Add", List.of(y, b));
    }
    BlockQuantized q =
        BlockQuantized.quantize(
            w.weight(), w.out(), w.in(), bits, precision.blockSize(), precision.rounding());
    return matMulNBits(x, w.name(), q, b);
  }

  private String matMulNBits(String x, String name, BlockQuantized q, String bias) {
    return matMulNBits(x, packed(name, q), scales(name, q), zeroPoints(name, q), q, bias);
  }

  private String matMulNBits(
      String x, String b, String s, String zeroPoints, BlockQuantized q, String bias) {
    List<String> inputs =
        bias.isEmpty()
            ? zeroPoints.isEmpty() ? List.of(x, b, s) : List.of(x, b, s, zeroPoints)
            : List.of(x, b, s, zeroPoints, "", bias);
    return g.msOp(
        "MatMulNBits",
        inputs,
        Attr.i("K", q.k()),
        Attr.i("N", q.n()),
        Attr.i("bits", q.bits()),
        Attr.i("block_size", q.blockSize()),
        Attr.i("accuracy_level", precision.accuracyLevel(q.bits())));
  }

  private String packed(String name, BlockQuantized q) {
    return g.initializer(name + ".q" + q.bits(), UINT8, q.shape(), ByteBuffer.wrap(q.packed()));
  }

  private String scales(String name, BlockQuantized q) {
    return g.floats(name + ".scales", q.scales(), q.scales().length);
  }

  /** The packed zero points, or "" (the operator's default) for a symmetric matrix. */
  private String zeroPoints(String name, BlockQuantized q) {
    if (q.zeroPoints() == null) {
      return "";
    }
    return g.initializer(
        name + ".zero_points",
        UINT8,
        new long[] {q.zeroPoints().length},
        ByteBuffer.wrap(q.zeroPoints()));
  }

  /**
   * A token table {@code [rows, width]}: rows are looked up by id; when {@code tiedHead}, it is
   * also the LM head. Kept float32 in a float32 graph; quantized at the head's precision (int8 by
   * default) otherwise, as the head is the projection next-token probabilities are most sensitive
   * to.
   */
  public Table table(String name, int rows, int width, float[] values) {
    return new Table(name, rows, width, values);
  }

  /** A token table in the graph: one initializer for the lookup and a tied head. */
  public final class Table {
    private final int rows;
    private final int width;
    private final String values;
    private final BlockQuantized q;
    private final String scales;
    private final String zeroPoints;

    private Table(String name, int rows, int width, float[] table) {
      this.rows = rows;
      this.width = width;
      g.linearBits(name, precision.headBits());
      if (precision.headBits() == 32) {
        values = g.floats(name, table, (long) rows, (long) width);
        q = null;
        scales = null;
        zeroPoints = null;
      } else {
        q =
            BlockQuantized.quantize(
                table,
                rows,
                width,
                precision.headBits(),
                precision.blockSize(),
                precision.rounding());
        values = packed(name, q);
        scales = scales(name, q);
        zeroPoints = zeroPoints(name, q);
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
      String zero =
          zeroPoints.isEmpty()
              ? g.scalar(q.defaultZeroPoint())
              : g.op(
                  "Cast",
                  List.of(
                      g.op(
                          "Gather",
                          List.of(
                              g.op("Reshape", List.of(zeroPoints, g.vector(rows, q.kBlocks(), 1))),
                              ids))),
                  Attr.i("to", FLOAT));
      String centred = g.op("Sub", List.of(blocks, zero));
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
      return matMulNBits(x, values, scales, zeroPoints, q, "");
    }
  }
}
