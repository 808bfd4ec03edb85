package io.maaskit.tools.onnx.llama;

import static io.maaskit.tools.onnx.OnnxGraphBuilder.FLOAT;
import static io.maaskit.tools.onnx.OnnxGraphBuilder.INT32;
import static io.maaskit.tools.onnx.OnnxGraphBuilder.INT64;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.decoder.DecoderGraph;
import io.maaskit.model.arch.huggingface.HfCheckpoint;
import io.maaskit.model.arch.llama.LlamaConfig;
import io.maaskit.model.arch.llama.LlamaTensors;
import io.maaskit.model.arch.llama.LlamaTensors.Linear;
import io.maaskit.model.arch.llama.LlamaTensors.Norm;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.GraphCompiler;
import io.maaskit.tools.onnx.OnnxGraphBuilder;
import io.maaskit.tools.onnx.OnnxGraphBuilder.Attr;
import io.maaskit.tools.onnx.decoder.DecoderWeights;
import io.maaskit.tools.onnx.decoder.Linears;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Compiles {@code llama} packages (Llama, Mistral, Qwen2) to a {@link DecoderGraph}, shaped as ONNX
 * Runtime's generative builder shapes CPU decoders:
 *
 * <ul>
 *   <li>{@code Gather} of the token embeddings, then {@code SimplifiedLayerNormalization}
 *       (RMSNorm);
 *   <li>each layer: one stacked Q/K/V linear (Qwen2's biases included), one {@code
 *       com.microsoft.GroupQueryAttention} (packed Q/K/V, rotary embeddings applied inside from
 *       cos/sin tables of {@code rope_theta} and Llama 3 scaling, the cache appended in place), the
 *       output linear, {@code com.microsoft.SkipSimplifiedLayerNormalization} (residual add and
 *       RMSNorm in one), one stacked gate/up linear, {@code Split}, SiLU as {@code Sigmoid} and
 *       {@code Mul}, the down linear and the next skip-norm;
 *   <li>the last position of each row ({@code Gather}) through the final norm's output and the LM
 *       head ({@code Gemm} on the embedding table itself when tied).
 * </ul>
 *
 * <p>Linears go through {@link Linears}: plain {@code MatMul} on float32 weights, {@code
 * com.microsoft.MatMulNBits} at the int8/int4 precision the package or {@link CompileOptions} asks
 * for; the token table is a {@link Linears.Table}, the tied head with it.
 */
public final class LlamaGraphCompiler implements GraphCompiler {
  private static final String BATCH = "batch";
  private static final String SEQUENCE = "sequence";
  private static final String PAST = "past_sequence";
  private static final String PRESENT = "present_sequence";

  @Override
  public String architecture() {
    return "llama";
  }

  @Override
  public void build(
      ModelManifest manifest,
      Architecture.PackageFiles files,
      CompileOptions options,
      OnnxGraphBuilder g)
      throws IOException {
    LlamaConfig config = LlamaConfig.parse(HfCheckpoint.bytes(files, "config.json"));
    if (config.headSize() % 16 != 0) {
      throw new IOException(
          "head size "
              + config.headSize()
              + " is not a multiple of 16, which ONNX Runtime's GroupQueryAttention needs for"
              + " rotary embeddings; the package keeps serving on PyTorch");
    }
    DecoderWeights w = new DecoderWeights(HfCheckpoint.read(files, HfCheckpoint.isSharded(files)));
    emit(config, w, new Linears(g, options.decoderPrecision(manifest.dtype())), g);
  }

  private static void emit(LlamaConfig c, DecoderWeights w, Linears linears, OnnxGraphBuilder g)
      throws IOException {
    int hidden = c.hiddenSize();
    int kv = c.kvHeads();
    int d = c.headSize();
    Attr eps = Attr.f("epsilon", (float) c.eps());
    String ids = g.input(DecoderGraph.INPUT_IDS, INT64, BATCH, SEQUENCE);
    String seqlens = g.input(DecoderGraph.SEQLENS_K, INT32, BATCH);
    String total = g.input(DecoderGraph.TOTAL_SEQUENCE_LENGTH, INT32);
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      g.input(DecoderGraph.pastKey(i), FLOAT, BATCH, (long) kv, PAST, (long) d);
      g.input(DecoderGraph.pastValue(i), FLOAT, BATCH, (long) kv, PAST, (long) d);
    }

    g.scope("embeddings");
    Linears.Table table =
        linears.table(
            LlamaTensors.EMBEDDINGS, c.vocabSize(), hidden, w.floats(LlamaTensors.EMBEDDINGS));
    String x = table.gather(ids);
    String[] cosSin = rotaryTables(c, g);
    String h =
        g.op(
            "SimplifiedLayerNormalization",
            List.of(x, norm(w, g, Norm.ATTENTION.weight(0))),
            Attr.i("axis", -1),
            eps,
            Attr.i("stash_type", 1));
    String residual = x;
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      g.scope("layer." + i);
      String qkv =
          linears.apply(
              h,
              Linears.Weight.stack(
                  "layer." + i + ".qkv",
                  linear(w, c, Linear.Q, i),
                  linear(w, c, Linear.K, i),
                  linear(w, c, Linear.V, i)),
              Linears.Role.QKV,
              i);
      String attended =
          g.msOps(
                  "GroupQueryAttention",
                  List.of(
                      qkv,
                      "",
                      "",
                      DecoderGraph.pastKey(i),
                      DecoderGraph.pastValue(i),
                      seqlens,
                      total,
                      cosSin[0],
                      cosSin[1]),
                  Arrays.asList(null, DecoderGraph.presentKey(i), DecoderGraph.presentValue(i)),
                  Attr.i("num_heads", c.numAttentionHeads()),
                  Attr.i("kv_num_heads", kv),
                  Attr.i("do_rotary", 1),
                  Attr.i("rotary_interleaved", 0))
              .get(0);
      String projected = linears.apply(attended, linear(w, c, Linear.O, i), Linears.Role.O, i);
      List<String> skip = skipNorm(g, projected, residual, norm(w, g, Norm.MLP.weight(i)), eps);
      residual = skip.get(3);
      String gateUp =
          linears.apply(
              skip.get(0),
              Linears.Weight.stack(
                  "layer." + i + ".gate_up",
                  linear(w, c, Linear.GATE, i),
                  linear(w, c, Linear.UP, i)),
              Linears.Role.UP,
              i);
      List<String> parts =
          g.ops(
              "Split",
              List.of(gateUp, g.vector(c.intermediateSize(), c.intermediateSize())),
              2,
              Attr.i("axis", -1));
      String gate = parts.get(0);
      String act =
          g.op(
              "Mul",
              List.of(g.op("Mul", List.of(gate, g.op("Sigmoid", List.of(gate)))), parts.get(1)));
      String down = linears.apply(act, linear(w, c, Linear.DOWN, i), Linears.Role.DOWN, i);
      String next =
          i + 1 < c.numHiddenLayers() ? Norm.ATTENTION.weight(i + 1) : LlamaTensors.FINAL_NORM;
      skip = skipNorm(g, down, residual, norm(w, g, next), eps);
      h = skip.get(0);
      residual = skip.get(3);
    }

    g.scope("head");
    // Only each row's last position reaches the LM head: no [batch, sequence, vocab] on prefill.
    String length =
        g.op(
            "Gather",
            List.of(g.op("Shape", List.of(ids)), g.longs("head/sequence_axis", new long[] {1})));
    String lastIndex = g.op("Sub", List.of(length, g.longs("head/one", new long[] {1})));
    String last = g.op("Gather", List.of(h, lastIndex), Attr.i("axis", 1));
    String logits;
    if (c.tied() || !w.has(LlamaTensors.LM_HEAD)) {
      if (!c.tied()) {
        throw new IOException(
            "weights have no " + LlamaTensors.LM_HEAD + " and tie_word_embeddings is not set");
      }
      logits = table.head(last);
    } else {
      logits =
          linears.head(
              last,
              new Linears.Weight(
                  "head.lm_head", c.vocabSize(), hidden, w.floats(LlamaTensors.LM_HEAD), null));
    }
    g.op("Identity", List.of(logits), DecoderGraph.LOGITS);
    g.output(DecoderGraph.LOGITS, FLOAT, BATCH, (long) c.vocabSize());
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      g.output(DecoderGraph.presentKey(i), FLOAT, BATCH, (long) kv, PRESENT, (long) d);
      g.output(DecoderGraph.presentValue(i), FLOAT, BATCH, (long) kv, PRESENT, (long) d);
    }
  }

  /**
   * {@code cos_cache} and {@code sin_cache} {@code [context + 1, headSize / 2]}: the angle of
   * position p, pair i is {@code p * inverseFrequency[i]} (one scratch position past the context,
   * which the runtime's batched runs may touch).
   */
  private static String[] rotaryTables(LlamaConfig c, OnnxGraphBuilder g) {
    double[] inv = c.inverseFrequencies();
    int rows = c.contextLength() + 1;
    float[] cos = new float[rows * inv.length];
    float[] sin = new float[rows * inv.length];
    for (int p = 0; p < rows; p++) {
      for (int i = 0; i < inv.length; i++) {
        double angle = p * inv[i];
        cos[p * inv.length + i] = (float) Math.cos(angle);
        sin[p * inv.length + i] = (float) Math.sin(angle);
      }
    }
    return new String[] {
      g.floats("rotary/cos_cache", cos, rows, inv.length),
      g.floats("rotary/sin_cache", sin, rows, inv.length)
    };
  }

  private static List<String> skipNorm(
      OnnxGraphBuilder g, String x, String residual, String weight, Attr eps) {
    return g.msOps(
        "SkipSimplifiedLayerNormalization",
        List.of(x, residual, weight),
        Arrays.asList(null, "", "", null),
        eps);
  }

  private static String norm(DecoderWeights w, OnnxGraphBuilder g, String name) throws IOException {
    float[] v = w.floats(name);
    return g.floats(name, v, v.length);
  }

  private static Linears.Weight linear(DecoderWeights w, LlamaConfig c, Linear l, int layer)
      throws IOException {
    long[] shape = w.shape(l.weight(layer));
    if (shape.length != 2) {
      throw new IOException(l.weight(layer) + " is not a matrix: " + Arrays.toString(shape));
    }
    return new Linears.Weight(
        l.weight(layer),
        Math.toIntExact(shape[0]),
        Math.toIntExact(shape[1]),
        w.floats(l.weight(layer)),
        l.hasBias(c) ? w.floats(l.bias(layer)) : null);
  }
}
