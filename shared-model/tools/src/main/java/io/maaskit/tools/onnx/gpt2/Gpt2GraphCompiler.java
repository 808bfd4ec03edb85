package io.maaskit.tools.onnx.gpt2;

import static io.maaskit.tools.onnx.OnnxGraphBuilder.FLOAT;
import static io.maaskit.tools.onnx.OnnxGraphBuilder.INT32;
import static io.maaskit.tools.onnx.OnnxGraphBuilder.INT64;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.decoder.DecoderGraph;
import io.maaskit.model.arch.gpt2.Gpt2Config;
import io.maaskit.model.arch.gpt2.Gpt2Tensors;
import io.maaskit.model.arch.huggingface.HfCheckpoint;
import io.maaskit.model.engine.Safetensors.Tensor;
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
import java.util.Map;

/**
 * Compiles {@code gpt2} packages into the decoder graph the contract describes ({@code
 * io.maaskit.model.arch.decoder.DecoderGraph}): what {@code Gpt2Network} computes, per step, over a
 * key/value cache that enters as {@code past_key_values.N.*} and leaves as {@code present.N.*}.
 *
 * <ul>
 *   <li>embeddings: token rows ({@link Linears.Table}) plus learned position rows gathered by the
 *       {@code position_ids} input (GPT-2 has no rotary embedding, so the runtime says where each
 *       token sits), the position table one zero row longer than the context for a runtime's
 *       placeholder token one past a full sequence;
 *   <li>each block: LayerNormalization (the first) or the previous block's {@code
 *       com.microsoft.SkipLayerNormalization}, which also hands on the residual sum; the fused
 *       {@code c_attn} projection (Conv1D weights, stored {@code (in, out)}, read as {@code [out,
 *       in]} for {@link Linears}); {@code com.microsoft.GroupQueryAttention} on the packed
 *       queries/keys/values with {@code kv_num_heads = num_heads}, no rotary, ONNX Runtime's
 *       default scale {@code 1/sqrt(head size)} (GPT-2's), the cache in BNSH; {@code c_proj};
 *       SkipLayerNormalization; {@code c_fc} and {@code com.microsoft.FastGelu} (GPT-2's tanh
 *       {@code gelu_new}); the MLP's {@code c_proj};
 *   <li>the last real position of each row ({@code min(seqlens_k, sequence - 1)}: a right-padded
 *       prompt row ends at its own length, a decode row has one token), the final LayerNorm, and
 *       the head tied to {@code wte} (or an untied {@code lm_head}): {@code logits [batch, vocab]}.
 * </ul>
 *
 * <p>Every projection goes through {@link Linears}, at the precision {@link CompileOptions} and the
 * package's dtype ask for; the position table and the norms stay float32.
 */
public final class Gpt2GraphCompiler implements GraphCompiler {
  private static final String BATCH = "batch";
  private static final String SEQUENCE = "sequence";

  @Override
  public String architecture() {
    return "gpt2";
  }

  @Override
  public void build(
      ModelManifest manifest,
      Architecture.PackageFiles files,
      CompileOptions options,
      OnnxGraphBuilder g)
      throws IOException {
    Gpt2Config config = Gpt2Config.parse(HfCheckpoint.bytes(files, "config.json"));
    Map<String, Tensor> tensors = HfCheckpoint.read(files, HfCheckpoint.isSharded(files));
    Linears linears = new Linears(g, options.decoderPrecision(manifest.dtype()));
    emit(config, Gpt2Tensors.of(tensors), new DecoderWeights(tensors), linears, g);
  }

  private static void emit(
      Gpt2Config config,
      Gpt2Tensors names,
      DecoderWeights tensors,
      Linears linears,
      OnnxGraphBuilder g)
      throws IOException {
    int heads = config.heads();
    long headSize = config.headSize();
    int e = config.hiddenSize();
    String ids = g.input(DecoderGraph.INPUT_IDS, INT64, BATCH, SEQUENCE);
    String positions = g.input(DecoderGraph.POSITION_IDS, INT64, BATCH, SEQUENCE);
    String seqlensK = g.input(DecoderGraph.SEQLENS_K, INT32, BATCH);
    String total = g.input(DecoderGraph.TOTAL_SEQUENCE_LENGTH, INT32);

    g.scope("embeddings");
    long[] wte = tensors.shape(names.tokens());
    long[] wpe = tensors.shape(names.positions());
    if (wte.length != 2 || wte[0] != config.vocabSize() || wte[1] != e) {
      throw new IOException(
          names.tokens()
              + " is "
              + Arrays.toString(wte)
              + ", config.json says ["
              + config.vocabSize()
              + ", "
              + e
              + "]");
    }
    if (wpe.length != 2 || wpe[0] < config.positions() || wpe[1] != e) {
      throw new IOException(
          names.positions()
              + " is "
              + Arrays.toString(wpe)
              + ", config.json says ["
              + config.positions()
              + ", "
              + e
              + "]");
    }
    Linears.Table tokens =
        linears.table(names.tokens(), config.vocabSize(), e, tensors.floats(names.tokens()));
    // One zero row past the context: a runtime may run a sequence that takes no part in a step
    // at the position after its end (its key and value are overwritten later), even at the limit.
    float[] positionRows =
        Arrays.copyOf(tensors.floats(names.positions()), (int) ((wpe[0] + 1) * e));
    String positionTable = g.floats(names.positions(), positionRows, wpe[0] + 1, wpe[1]);
    String x =
        g.op("Add", List.of(tokens.gather(ids), g.op("Gather", List.of(positionTable, positions))));

    String h = null;
    for (int i = 0; i < config.layers(); i++) {
      g.scope("layer." + i);
      Gpt2Tensors.Layer l = names.layer(i);
      if (i == 0) {
        h = layerNorm(g, tensors, x, l.norm1(), config.eps());
      }
      g.input(DecoderGraph.pastKey(i), FLOAT, BATCH, (long) heads, "past_sequence", headSize);
      g.input(DecoderGraph.pastValue(i), FLOAT, BATCH, (long) heads, "past_sequence", headSize);
      String qkv = projection(linears, tensors, h, l.qkv(), Linears.Role.QKV, i);
      List<String> attention =
          g.msOps(
              "GroupQueryAttention",
              List.of(
                  qkv, "", "", DecoderGraph.pastKey(i), DecoderGraph.pastValue(i), seqlensK, total),
              Arrays.asList(null, DecoderGraph.presentKey(i), DecoderGraph.presentValue(i)),
              Attr.i("num_heads", heads),
              Attr.i("kv_num_heads", heads));
      g.output(DecoderGraph.presentKey(i), FLOAT, BATCH, (long) heads, "total_sequence", headSize);
      g.output(
          DecoderGraph.presentValue(i), FLOAT, BATCH, (long) heads, "total_sequence", headSize);
      String attended =
          projection(linears, tensors, attention.get(0), l.output(), Linears.Role.O, i);
      List<String> norm2 = skipLayerNorm(g, tensors, attended, x, l.norm2(), config.eps());
      x = norm2.get(3);
      String up =
          g.msOp(
              "FastGelu",
              List.of(projection(linears, tensors, norm2.get(0), l.up(), Linears.Role.UP, i)));
      String down = projection(linears, tensors, up, l.down(), Linears.Role.DOWN, i);
      if (i + 1 < config.layers()) {
        List<String> next =
            skipLayerNorm(g, tensors, down, x, names.layer(i + 1).norm1(), config.eps());
        h = next.get(0);
        x = next.get(3);
      } else {
        x = g.op("Add", List.of(down, x));
      }
    }

    g.scope("head");
    // The row's last real position: seqlens_k for a (right-padded) first prompt, 0 for a decode
    // row, S-1 for a prompt continuing a cache; min(seqlens_k, S-1) is each of those.
    String lastIndex =
        g.op(
            "Sub",
            List.of(
                g.op("Shape", List.of(ids), Attr.i("start", 1), Attr.i("end", 2)), g.vector(1)));
    String index =
        g.op(
            "Unsqueeze",
            List.of(
                g.op(
                    "Min",
                    List.of(g.op("Cast", List.of(seqlensK), Attr.i("to", INT64)), lastIndex)),
                g.vector(1)));
    String last = g.op("GatherND", List.of(x, index), Attr.i("batch_dims", 1));
    String normed = layerNorm(g, tensors, last, names.finalNorm(), config.eps());
    String logits =
        config.tied() || !tensors.has(Gpt2Tensors.LM_HEAD)
            ? tokens.head(normed)
            : linears.head(
                normed,
                new Linears.Weight(
                    Gpt2Tensors.LM_HEAD,
                    config.vocabSize(),
                    e,
                    tensors.floats(Gpt2Tensors.LM_HEAD),
                    null));
    g.op("Identity", List.of(logits), DecoderGraph.LOGITS);
    g.output(DecoderGraph.LOGITS, FLOAT, BATCH, (long) config.vocabSize());
    g.scope("");
  }

  /**
   * A Conv1D projection with its bias: the weight is stored {@code (in, out)} and handed to {@link
   * Linears} as {@code [out, in]}.
   */
  private static String projection(
      Linears linears,
      DecoderWeights tensors,
      String x,
      String module,
      Linears.Role role,
      int layer)
      throws IOException {
    String name = module + ".weight";
    long[] shape = tensors.shape(name);
    if (shape.length != 2) {
      throw new IOException(name + " is not a matrix: " + Arrays.toString(shape));
    }
    int in = Math.toIntExact(shape[0]);
    int out = Math.toIntExact(shape[1]);
    float[] stored = tensors.floats(name);
    float[] w = new float[stored.length];
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        w[o * in + i] = stored[i * out + o];
      }
    }
    return linears.apply(
        x, new Linears.Weight(module, out, in, w, tensors.floats(module + ".bias")), role, layer);
  }

  private static String layerNorm(
      OnnxGraphBuilder g, DecoderWeights tensors, String x, String module, double eps)
      throws IOException {
    return g.op(
        "LayerNormalization",
        List.of(x, norm(g, tensors, module + ".weight"), norm(g, tensors, module + ".bias")),
        Attr.i("axis", -1),
        Attr.f("epsilon", (float) eps));
  }

  /** LayerNorm(input + skip): outputs 0 (the norm) and 3 (the sum, the next residual). */
  private static List<String> skipLayerNorm(
      OnnxGraphBuilder g,
      DecoderWeights tensors,
      String input,
      String skip,
      String module,
      double eps)
      throws IOException {
    return g.msOps(
        "SkipLayerNormalization",
        List.of(
            input, skip, norm(g, tensors, module + ".weight"), norm(g, tensors, module + ".bias")),
        Arrays.asList(null, "", "", null),
        Attr.f("epsilon", (float) eps));
  }

  private static String norm(OnnxGraphBuilder g, DecoderWeights tensors, String name)
      throws IOException {
    float[] v = tensors.floats(name);
    return g.floats(name, v, v.length);
  }
}
