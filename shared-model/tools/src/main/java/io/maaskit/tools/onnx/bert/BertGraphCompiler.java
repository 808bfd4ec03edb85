package io.maaskit.tools.onnx.bert;

import static io.maaskit.tools.onnx.OnnxGraphBuilder.FLOAT;
import static io.maaskit.tools.onnx.OnnxGraphBuilder.INT64;
import static io.maaskit.tools.onnx.OnnxGraphBuilder.INT8;
import static io.maaskit.tools.onnx.OnnxGraphBuilder.UINT8;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.bert.BertArchitecture;
import io.maaskit.model.arch.bert.BertConfig;
import io.maaskit.model.arch.bert.EncoderTensors;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.engine.Weights;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.GraphCompiler;
import io.maaskit.tools.onnx.Int8Calibrator;
import io.maaskit.tools.onnx.Int8Plan;
import io.maaskit.tools.onnx.OnnxGraphBuilder;
import io.maaskit.tools.onnx.OnnxGraphBuilder.Attr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Compiles {@code bert} packages. The graph computes what {@code BertEncoder}, {@code Pooling} and
 * {@code BertHead} compute on NDArrays, in the same order:
 *
 * <ul>
 *   <li>embeddings: word + position + token-type lookups, LayerNormalization; int8 tables stay int8
 *       ({@code Gather} rows and their per-row scales, {@code Cast}, {@code Mul});
 *   <li>each layer: one fused Q/K/V projection (1/sqrt(head size) folded into the query weights and
 *       bias), {@code Split}, {@code com.microsoft.MultiHeadAttention} with the key-padding mask
 *       (or, without fused attention, scores plus an additive padding bias and {@code Softmax} in
 *       default-domain operators), the output projection, residual LayerNormalization, erf GELU
 *       feed-forward (ONNX Runtime fuses it into one {@code Gelu}), residual LayerNormalization;
 *   <li>every linear layer is {@code MatMul} + {@code Add} on fp32 weights stored {@code [in,
 *       out]}; on the int8 package's symmetric per-output-channel int8 weights and scales it is
 *       {@code com.microsoft.MatMulNBits} (8 bits, int8 activations per block of 32 along K) by
 *       default, or {@code com.microsoft.DynamicQuantizeMatMul} (activations quantized per tensor)
 *       when {@link CompileOptions} say so; see {@link CompileOptions.Int8Kernel} for why;
 *   <li>outputs: {@code pooled} (mean under the mask, or [CLS]), {@code sentence_embedding} (L2
 *       normalized, norm at least 1e-12) and, with a head, {@code logits} and (classifiers) {@code
 *       probabilities}; with a per-token head, {@code token_logits}.
 * </ul>
 */
public class BertGraphCompiler implements GraphCompiler, Int8Calibrator {
  private static final String BATCH = "batch";
  private static final String SEQUENCE = "sequence";

  private final String architecture;

  /** The compiler of {@code bert} packages, registered through {@code META-INF/services}. */
  public BertGraphCompiler() {
    this("bert");
  }

  /**
   * The compiler of another BERT-family architecture: the same graph, by the names of that
   * architecture's {@link EncoderTensors}.
   */
  protected BertGraphCompiler(String architecture) {
    this.architecture = architecture;
  }

  @Override
  public String architecture() {
    return architecture;
  }

  /** The registered BERT-family architecture of a manifest key. */
  static BertArchitecture family(String name) throws IOException {
    if (Architecture.forName(name) instanceof BertArchitecture b) {
      return b;
    }
    throw new IOException("architecture '" + name + "' is not a BERT-family encoder");
  }

  @Override
  public Calibration calibrate(
      ModelManifest source,
      Architecture.PackageFiles files,
      io.maaskit.model.arch.TextEncoder reference,
      io.maaskit.model.engine.Engine engine,
      List<String> texts,
      io.maaskit.model.store.Progress progress)
      throws IOException {
    return new BertInt8Calibrator().calibrate(source, files, reference, engine, texts, progress);
  }

  @Override
  public void build(
      ModelManifest manifest,
      Architecture.PackageFiles files,
      CompileOptions options,
      OnnxGraphBuilder g)
      throws IOException {
    BertArchitecture arch = family(manifest.architecture());
    BertConfig config = arch.config(bytes(files.bytes("config.json")));
    Map<String, Tensor> tensors =
        Safetensors.read(files.bytes(BertArchitecture.WEIGHTS), BertArchitecture.WEIGHTS);
    Int8Plan plan =
        options.int8Kernel() == CompileOptions.Int8Kernel.CALIBRATED
            ? Int8Plan.read(manifest, files)
            : null;
    new Emitter(g, tensors, arch.tensors(), config, options, plan, null).emit(manifest);
  }

  /**
   * Builds the graph of a package with a probe on every linear layer (see {@link
   * BertInt8Calibrator}).
   */
  static void build(
      ModelManifest manifest, Architecture.PackageFiles files, Probe probe, OnnxGraphBuilder g)
      throws IOException {
    BertArchitecture arch = family(manifest.architecture());
    BertConfig config = arch.config(bytes(files.bytes("config.json")));
    Map<String, Tensor> tensors =
        Safetensors.read(files.bytes(BertArchitecture.WEIGHTS), BertArchitecture.WEIGHTS);
    new Emitter(g, tensors, arch.tensors(), config, CompileOptions.defaults(), null, probe)
        .emit(manifest);
  }

  /**
   * Adds side computations to each float32 linear layer of a graph: what calibration measures.
   * Called with the layer's input, the layer and the output of its float32 {@code MatMul} (before
   * the bias).
   */
  interface Probe {
    void linear(OnnxGraphBuilder g, String x, Linear l, String matmul);
  }

  private static final class Emitter {
    private final OnnxGraphBuilder g;
    private final Map<String, Tensor> tensors;
    private final EncoderTensors names;
    private final BertConfig config;
    private final int hidden;
    private final CompileOptions options;
    private final Int8Plan plan;
    private final Probe probe;

    /**
     * Whether {@link #linear} calls the probe: for the encoder's layers only. The head's layers
     * (pooler, classifier) stay float32, and their inputs are (batch, hidden), not the (batch,
     * sequence, hidden) the calibration's per-channel ranges reduce over.
     */
    private boolean probing = true;

    Emitter(
        OnnxGraphBuilder g,
        Map<String, Tensor> tensors,
        EncoderTensors names,
        BertConfig config,
        CompileOptions options,
        Int8Plan plan,
        Probe probe) {
      this.g = g;
      this.names = names;
      this.options = options;
      this.plan = plan;
      this.probe = probe;
      this.tensors = tensors;
      this.config = config;
      this.hidden = config.hiddenSize();
    }

    void emit(ModelManifest manifest) throws IOException {
      String p = names.prefixIn(tensors::containsKey);
      String ids = g.input(EncoderGraph.INPUT_IDS, INT64, BATCH, SEQUENCE);
      String mask = g.input(EncoderGraph.ATTENTION_MASK, INT64, BATCH, SEQUENCE);
      // Every graph takes token_type_ids (one input contract for all encoders); where the
      // architecture has no token types it does not read them.
      String types = g.input(EncoderGraph.TOKEN_TYPE_IDS, INT64, BATCH, SEQUENCE);

      g.scope("embeddings");
      String words = lookup(p + names.wordEmbeddings(), ids);
      String seqLen = g.op("Shape", List.of(ids), Attr.i("start", 1), Attr.i("end", 2));
      String positions =
          positionRows(p + names.positionEmbeddings(), seqLen, names.positionOffset(config));
      String sum = g.op("Add", List.of(words, positions));
      if (names.typeTable()) {
        // Without token types (RoBERTa) every token adds row 0, as zero token_type_ids do.
        String rows =
            names.tokenTypes()
                ? types
                : g.op("Mul", List.of(ids, g.longs("embeddings/no_types", new long[] {0})));
        sum = g.op("Add", List.of(sum, lookup(p + names.typeEmbeddings(), rows)));
      }
      String x = layerNorm(sum, p + names.embeddingNorm());

      String maskF = g.op("Cast", List.of(mask), Attr.i("to", FLOAT));
      // Fused: the int32 key-padding mask MultiHeadAttention takes. Unfused: 0 for real tokens,
      // -1e9 for padding, (B, 1, 1, L), as BertEncoder.attentionBias in fp32.
      String attentionMask =
          options.fusedAttention()
              ? g.op("Cast", List.of(mask), Attr.i("to", OnnxGraphBuilder.INT32))
              : g.op(
                  "Unsqueeze",
                  List.of(
                      g.op(
                          "Mul",
                          List.of(g.op("Sub", List.of(g.scalar(1f), maskF)), g.scalar(-1e9f))),
                      g.vector(1, 2)));

      for (int i = 0; i < config.numHiddenLayers(); i++) {
        g.scope("layer." + i);
        x = layer(x, attentionMask, p + names.layers() + i + ".");
      }
      g.scope("pooling");
      boolean meanPool = manifest.pooling().equals("mean");
      if (!meanPool && !manifest.pooling().equals("cls")) {
        throw new IOException("unsupported pooling '" + manifest.pooling() + "'");
      }
      boolean head = BertArchitecture.hasHead(manifest);
      // The head's hidden layer over [CLS]: BERT's pooler (under the encoder's prefix in Hugging
      // Face's BertForSequenceClassification), RoBERTa's classifier.dense, DistilBERT's
      // pre_classifier.
      String pooler = EncoderTensors.firstPresent(names.headHidden(), tensors::containsKey);
      boolean hasPooler = head && pooler != null;
      String cls = !meanPool || hasPooler ? g.longs("pooling/cls_index", new long[] {0}) : null;
      String pooled;
      if (meanPool) {
        String m3 = g.op("Unsqueeze", List.of(maskF, g.vector(2)));
        String total =
            g.op(
                "ReduceSum",
                List.of(g.op("Mul", List.of(x, m3)), g.vector(1)),
                Attr.i("keepdims", 0));
        String count =
            g.op(
                "Max",
                List.of(
                    g.op("ReduceSum", List.of(m3, g.vector(1)), Attr.i("keepdims", 0)),
                    g.scalar(1e-9f)));
        pooled = g.op("Div", List.of(total, count), EncoderGraph.POOLED);
      } else {
        pooled = g.op("Gather", List.of(x, cls), EncoderGraph.POOLED, Attr.i("axis", 1));
      }
      String norm =
          g.op(
              "Max",
              List.of(
                  g.op("ReduceL2", List.of(pooled), Attr.ints("axes", 1), Attr.i("keepdims", 1)),
                  g.scalar(1e-12f)));
      g.op("Div", List.of(pooled, norm), EncoderGraph.SENTENCE_EMBEDDING);
      g.output(EncoderGraph.POOLED, FLOAT, BATCH, (long) hidden);
      g.output(EncoderGraph.SENTENCE_EMBEDDING, FLOAT, BATCH, (long) hidden);

      if (head) {
        g.scope("classifier");
        probing = false;
        int labels = config.labels().size();
        String output = EncoderTensors.firstPresent(names.headOutput(), tensors::containsKey);
        if (labels == 0 || output == null) {
          throw new IOException(
              "package "
                  + manifest.id()
                  + " with a head lacks id2label or "
                  + names.headOutput().get(0)
                  + ".weight");
        }
        String features = pooled;
        if (hasPooler) {
          String first = g.op("Gather", List.of(x, cls), Attr.i("axis", 1));
          String activation = names.headActivation().equals("relu") ? "Relu" : "Tanh";
          features = g.op(activation, List.of(linear(first, Linear.of(tensors, pooler))));
        }
        String logits = linear(features, Linear.of(tensors, output));
        g.op("Identity", List.of(logits), EncoderGraph.LOGITS);
        g.output(EncoderGraph.LOGITS, FLOAT, BATCH, (long) labels);
        if (manifest.capabilities().contains(Capability.CLASSIFIER)) {
          g.op("Softmax", List.of(logits), EncoderGraph.PROBABILITIES, Attr.i("axis", -1));
          g.output(EncoderGraph.PROBABILITIES, FLOAT, BATCH, (long) labels);
        }
      }
      String tokenHead = BertArchitecture.tokenHead(manifest);
      if (tokenHead != null) {
        // Every token's final state through the per-token head (entity labels, or start/end).
        g.scope("token_head");
        int columns = BertArchitecture.tokenColumns(manifest, config).size();
        if (!tensors.containsKey(tokenHead + ".weight")) {
          throw new IOException("package " + manifest.id() + " lacks " + tokenHead + ".weight");
        }
        String logits = linear(x, Linear.of(tensors, tokenHead));
        g.op("Identity", List.of(logits), EncoderGraph.TOKEN_LOGITS);
        g.output(EncoderGraph.TOKEN_LOGITS, FLOAT, BATCH, SEQUENCE, (long) columns);
      }
      g.scope("");
    }

    private String layer(String x, String attentionMask, String p) throws IOException {
      int heads = config.numAttentionHeads();
      int hs = config.headSize();
      float scale = (float) (1.0 / Math.sqrt(hs));
      Linear qkv =
          Linear.concat(
              Linear.of(tensors, p + names.query()).scaled(scale),
              Linear.of(tensors, p + names.key()),
              Linear.of(tensors, p + names.value()));
      Linear attnOutput = Linear.of(tensors, p + names.attentionOutput());
      Int8Plan.Choice outSmooth = smoothing(attnOutput);
      if (outSmooth != null) {
        // The attention context is a convex mix of V's rows (softmax rows sum to 1), so centring
        // and scaling its channels is exact and free on V's output rows: bias minus z, then rows
        // (their int8 scales and bias) divided by s.
        float[] minusZ = new float[hidden];
        for (int k = 0; k < hidden; k++) {
          minusZ[k] = -outSmooth.shift()[k];
        }
        qkv =
            qkv.biasAdded(2 * hidden, minusZ)
                .rowsScaled(2 * hidden, BertInt8Calibrator.inverse(outSmooth.smooth()));
      }
      List<String> split =
          g.ops("Split", List.of(linear(x, qkv)), 3, Attr.i("axis", 2)); // 3 equal parts
      String ctx =
          options.fusedAttention()
              ? g.msOp(
                  "MultiHeadAttention",
                  List.of(split.get(0), split.get(1), split.get(2), "", attentionMask),
                  Attr.i("num_heads", heads),
                  Attr.f("scale", 1f)) // 1/sqrt(head size) is folded into the query weights
              : attention(split, attentionMask, heads, hs);
      String attnOut;
      if (outSmooth != null) {
        Linear l = smoothedLayer(attnOutput, outSmooth.smooth(), outSmooth.shift());
        attnOut = dynamic(ctx, l, g.floats(l.name() + ".bias", l.bias(), l.out()));
      } else {
        attnOut = linear(ctx, attnOutput);
      }
      String attn = layerNorm(g.op("Add", List.of(attnOut, x)), p + names.attentionNorm());
      String inter = gelu(linear(attn, Linear.of(tensors, p + names.intermediate())));
      String out = linear(inter, Linear.of(tensors, p + names.output()));
      return layerNorm(g.op("Add", List.of(out, attn)), p + names.outputNorm());
    }

    /** Scaled dot-product attention spelled out in default-domain operators. */
    private String attention(List<String> split, String bias, int heads, int hs) {
      String headShape = g.vector(0, 0, heads, hs);
      String q =
          g.op(
              "Transpose",
              List.of(g.op("Reshape", List.of(split.get(0), headShape))),
              Attr.ints("perm", 0, 2, 1, 3));
      String kT =
          g.op(
              "Transpose",
              List.of(g.op("Reshape", List.of(split.get(1), headShape))),
              Attr.ints("perm", 0, 2, 3, 1));
      String v =
          g.op(
              "Transpose",
              List.of(g.op("Reshape", List.of(split.get(2), headShape))),
              Attr.ints("perm", 0, 2, 1, 3));
      String scores = g.op("Add", List.of(g.op("MatMul", List.of(q, kT)), bias));
      String probs = g.op("Softmax", List.of(scores), Attr.i("axis", -1));
      return g.op(
          "Reshape",
          List.of(
              g.op(
                  "Transpose",
                  List.of(g.op("MatMul", List.of(probs, v))),
                  Attr.ints("perm", 0, 2, 1, 3)),
              g.vector(0, 0, hidden)));
    }

    /** erf GELU as PyTorch's exporter spells it, which ONNX Runtime fuses into one Gelu. */
    private String gelu(String x) {
      String erf = g.op("Erf", List.of(g.op("Div", List.of(x, g.scalar((float) Math.sqrt(2.0))))));
      String inner = g.op("Mul", List.of(x, g.op("Add", List.of(erf, g.scalar(1f)))));
      return g.op("Mul", List.of(inner, g.scalar(0.5f)));
    }

    private String layerNorm(String x, String name) throws IOException {
      String w = constant(name + ".weight");
      String b = constant(name + ".bias");
      return g.op(
          "LayerNormalization",
          List.of(x, w, b),
          Attr.i("axis", -1),
          Attr.f("epsilon", (float) config.eps()));
    }

    /**
     * The plan's choice for a layer when it runs on the dynamic kernel with its input smoothed, or
     * null (no plan, another kernel, not smoothed, a float32 layer).
     */
    private Int8Plan.Choice smoothing(Linear l) {
      Int8Plan.Choice c = plan == null ? null : plan.choice(l.name());
      return c != null
              && c.kernel() == CompileOptions.Int8Kernel.DYNAMIC
              && c.smooth() != null
              && l.isQuantized()
          ? c
          : null;
    }

    private String linear(String x, Linear l) {
      Int8Plan.Choice smooth = smoothing(l);
      if (smooth != null) {
        x = smoothInput(g, x, l.name(), smooth.smooth(), smooth.shift());
        l = smoothedLayer(l, smooth.smooth(), smooth.shift());
      }
      String bias = g.floats(l.name() + ".bias", l.bias(), l.out());
      if (!l.isQuantized()) {
        String w = g.initializer(l.name() + ".weight_t", FLOAT, l.dims(), l.weightT());
        String mm = g.op("MatMul", List.of(x, w));
        if (probe != null && probing) {
          probe.linear(g, x, l, mm);
        }
        return g.op("Add", List.of(mm, bias));
      }
      Int8Plan.Choice c = plan == null ? null : plan.choice(l.name());
      CompileOptions.Int8Kernel kernel =
          c != null
              ? c.kernel()
              : options.int8Kernel() == CompileOptions.Int8Kernel.CALIBRATED
                  ? CompileOptions.Int8Kernel.BLOCKWISE
                  : options.int8Kernel();
      if (kernel == CompileOptions.Int8Kernel.BLOCKWISE
          && l.dtype() == INT8
          && l.zeroPoints() == null) {
        return blockwise(x, l, bias, options.blockSize());
      }
      return dynamic(x, l, bias);
    }

    private String dynamic(String x, Linear l, String bias) {
      return BertGraphCompiler.dynamic(g, x, l, bias);
    }

    private String blockwise(String x, Linear l, String bias, int blockSize) {
      return BertGraphCompiler.blockwise(g, x, l, bias, blockSize);
    }

    /** A float32 tensor as an initializer, dequantizing an int8 one (LayerNorm stays fp32). */
    private String constant(String name) throws IOException {
      Tensor t = require(name);
      if (!t.dtype().equals("F32")) {
        throw new IOException(name + " is " + t.dtype() + "; the compiler expects float32");
      }
      return g.initializer(name, FLOAT, t.shape(), t.data());
    }

    /** Embedding rows of {@code ids}: fp32 Gather, or int8 Gather × per-row scale. */
    private String lookup(String table, String ids) throws IOException {
      Tensor t = require(table);
      if (t.dtype().equals("F32")) {
        return g.op("Gather", List.of(g.initializer(table, FLOAT, t.shape(), t.data()), ids));
      }
      Quantized q = Quantized.of(tensors, table, t);
      String rows = g.op("Gather", List.of(q.values(g), ids));
      return q.dequantize(g, rows, ids);
    }

    /**
     * {@code seqLen} rows of the position table from {@code offset} (positions offset..offset+L-1;
     * RoBERTa's start after the padding index).
     */
    private String positionRows(String table, String seqLen, int offset) throws IOException {
      Tensor t = require(table);
      String zero = g.vector(offset);
      String axis = g.vector(0);
      if (offset != 0) {
        seqLen = g.op("Add", List.of(seqLen, zero));
      }
      if (t.dtype().equals("F32")) {
        String init = g.initializer(table, FLOAT, t.shape(), t.data());
        return g.op("Slice", List.of(init, zero, seqLen, axis));
      }
      Quantized q = Quantized.of(tensors, table, t);
      String rows = g.op("Slice", List.of(q.values(g), zero, seqLen, axis));
      return q.dequantizeSlice(g, rows, zero, seqLen, axis);
    }

    private Tensor require(String name) throws IOException {
      Tensor t = tensors.get(name);
      if (t == null) {
        throw new IOException("weights lack tensor '" + name + "'");
      }
      return t;
    }
  }

  /** An int8/uint8 embedding table with its scale (per row or one) and optional zero point. */
  private record Quantized(String name, Tensor table, Tensor scale, Tensor zeroPoint) {
    static Quantized of(Map<String, Tensor> tensors, String name, Tensor t) throws IOException {
      if (!t.dtype().equals("I8") && !t.dtype().equals("U8")) {
        throw new IOException(name + " is " + t.dtype() + "; expected F32, I8 or U8");
      }
      Tensor scale = tensors.get(name + Weights.SCALE);
      if (scale == null) {
        throw new IOException("quantized tensor " + name + " has no " + name + Weights.SCALE);
      }
      return new Quantized(name, t, scale, tensors.get(name + Weights.ZERO_POINT));
    }

    boolean perRow() {
      return scale.elementCount() > 1;
    }

    String values(OnnxGraphBuilder g) {
      return g.initializer(
          name + "_quantized",
          table.dtype().equals("I8") ? INT8 : UINT8,
          table.shape(),
          table.data());
    }

    /** (rows - zp) * scale for rows gathered by {@code ids}. */
    String dequantize(OnnxGraphBuilder g, String rows, String ids) {
      return apply(g, rows, s -> g.op("Gather", List.of(s, ids)));
    }

    /** The same for a Slice of the table. */
    String dequantizeSlice(OnnxGraphBuilder g, String rows, String start, String end, String axis) {
      return apply(g, rows, s -> g.op("Slice", List.of(s, start, end, axis)));
    }

    private String apply(
        OnnxGraphBuilder g, String rows, java.util.function.UnaryOperator<String> select) {
      String x = g.op("Cast", List.of(rows), Attr.i("to", FLOAT));
      if (zeroPoint != null) {
        String zp =
            g.op(
                "Cast",
                List.of(
                    g.initializer(
                        name + "_zero_point",
                        zeroPoint.dtype().equals("I8") ? INT8 : UINT8,
                        zeroPoint.shape(),
                        zeroPoint.data())),
                Attr.i("to", FLOAT));
        if (zeroPoint.elementCount() > 1) {
          zp = g.op("Unsqueeze", List.of(select.apply(zp), g.vector(-1)));
        } else {
          zp = g.op("Reshape", List.of(zp, g.vector(1)));
        }
        x = g.op("Sub", List.of(x, zp));
      }
      String s = g.initializer(name + "_scale", FLOAT, scale.shape(), scale.data());
      s =
          perRow()
              ? g.op("Unsqueeze", List.of(select.apply(s), g.vector(-1)))
              : g.op("Reshape", List.of(s, g.vector(1)));
      return g.op("Mul", List.of(x, s));
    }
  }

  /** {@code (x - z) / s} per input channel: the input of a smoothed layer. */
  static String smoothInput(OnnxGraphBuilder g, String x, String name, float[] s, float[] z) {
    String centred = g.op("Sub", List.of(x, g.floats(name + ".input_shift", z, z.length)));
    return g.op(
        "Mul",
        List.of(centred, g.floats(name + ".input_scale", BertInt8Calibrator.inverse(s), s.length)));
  }

  /** The layer for the input {@link #smoothInput} makes: weights × s by column, bias + W z. */
  static Linear smoothedLayer(Linear l, float[] s, float[] z) {
    return l.shifted(z).smoothed(s);
  }

  /**
   * {@code com.microsoft.DynamicQuantizeMatMul} on the layer's int8 weights as they are
   * (activations quantized to uint8 per tensor); {@code bias} may be {@code ""}.
   */
  static String dynamic(OnnxGraphBuilder g, String x, Linear l, String bias) {
    String w = g.initializer(l.name() + ".weight_quantized", l.dtype(), l.dims(), l.weightT());
    String s = g.floats(l.name() + ".weight_scale", l.scales(), l.out());
    String zp =
        l.zeroPoints() == null
            ? ""
            : g.initializer(
                l.name() + ".weight_zero_point",
                l.dtype(),
                new long[] {l.out()},
                ByteBuffer.wrap(l.zeroPoints()));
    return g.msOp("DynamicQuantizeMatMul", List.of(x, w, s, zp, bias));
  }

  /**
   * {@code com.microsoft.MatMulNBits} with 8 bits: the package's int8 rows shifted to uint8 under
   * the operator's default zero point 128 (so the values are exactly the package's), each row's
   * scale repeated for its blocks, bias inside ({@code ""} for none). With {@code accuracy_level} 4
   * ONNX Runtime quantizes the activations to int8 per block of {@code blockSize} along K and runs
   * int8 dot products.
   */
  static String blockwise(OnnxGraphBuilder g, String x, Linear l, String bias, int blockSize) {
    int kBlocks = (l.in() + blockSize - 1) / blockSize;
    byte[] b = new byte[l.out() * kBlocks * blockSize];
    Arrays.fill(b, (byte) 128); // padding past K dequantizes to zero
    float[] scales = new float[l.out() * kBlocks];
    for (int n = 0; n < l.out(); n++) {
      for (int k = 0; k < l.in(); k++) {
        b[n * kBlocks * blockSize + k] = (byte) (l.q()[n * l.in() + k] + 128);
      }
      Arrays.fill(scales, n * kBlocks, (n + 1) * kBlocks, l.scales()[n]);
    }
    String w =
        g.initializer(
            l.name() + ".weight_u8",
            UINT8,
            new long[] {l.out(), kBlocks, blockSize},
            ByteBuffer.wrap(b));
    String s = g.floats(l.name() + ".weight_scales", scales, (long) l.out() * kBlocks);
    return g.msOp(
        "MatMulNBits",
        List.of(x, w, s, "", "", bias),
        Attr.i("K", l.in()),
        Attr.i("N", l.out()),
        Attr.i("bits", 8),
        Attr.i("block_size", blockSize),
        Attr.i("accuracy_level", 4));
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
