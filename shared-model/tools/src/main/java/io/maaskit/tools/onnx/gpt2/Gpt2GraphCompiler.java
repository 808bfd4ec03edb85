package io.maaskit.tools.onnx.gpt2;

import static io.maaskit.tools.onnx.OnnxGraphBuilder.FLOAT;
import static io.maaskit.tools.onnx.OnnxGraphBuilder.INT32;
import static io.maaskit.tools.onnx.OnnxGraphBuilder.INT64;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.gpt2.Gpt2Config;
import io.maaskit.model.arch.gpt2.Gpt2Tensors;
import io.maaskit.model.arch.huggingface.HfCheckpoint;
import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.GraphCompiler;
import io.maaskit.tools.onnx.OnnxGraphBuilder;
import io.maaskit.tools.onnx.OnnxGraphBuilder.Attr;
import io.maaskit.tools.onnx.decoder.Linears;
import io.maaskit.tools.onnx.decoder.Matrix;
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
 *       token sits);
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
  static final String INPUT_IDS = "input_ids";
  static final String POSITION_IDS = "position_ids";
  static final String SEQLENS_K = "seqlens_k";
  static final String TOTAL_SEQUENCE_LENGTH = "total_sequence_length";
  static final String LOGITS = "logits";

  static String pastKey(int layer) {
    return "past_key_values." + layer + ".key";
  }

  static String pastValue(int layer) {
    return "past_key_values." + layer + ".value";
  }

  static String presentKey(int layer) {
    return "present." + layer + ".key";
  }

  static String presentValue(int layer) {
    return "present." + layer + ".value";
  }

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
    Map<String, Tensor> tensors =
        HfCheckpoint.read(files, manifest.file(HfCheckpoint.INDEX) != null);
    Linears linears = new Linears(g, options.decoderPrecision(manifest.dtype()));
    emit(config, Gpt2Tensors.of(tensors), tensors, linears, g);
  }

  private static void emit(
      Gpt2Config config,
      Gpt2Tensors names,
      Map<String, Tensor> tensors,
      Linears linears,
      OnnxGraphBuilder g)
      throws IOException {
    int heads = config.heads();
    long headSize = config.headSize();
    int e = config.hiddenSize();
    String ids = g.input(INPUT_IDS, INT64, BATCH, SEQUENCE);
    String positions = g.input(POSITION_IDS, INT64, BATCH, SEQUENCE);
    String seqlensK = g.input(SEQLENS_K, INT32, BATCH);
    String total = g.input(TOTAL_SEQUENCE_LENGTH, INT32);

    g.scope("embeddings");
    Matrix wte = Matrix.of(tensors, names.tokens());
    if (wte.out() < config.vocabSize() || wte.in() != e) {
      throw new IOException(
          names.tokens()
              + " is "
              + wte.out()
              + "x"
              + wte.in()
              + ", config says vocab "
              + config.vocabSize()
              + " x n_embd "
              + e);
    }
    Linears.Table tokens = linears.table(wte);
    Matrix wpe = Matrix.of(tensors, names.positions());
    String positionTable = g.floats(wpe.name(), wpe.values(), (long) wpe.out(), (long) wpe.in());
    String x =
        g.op("Add", List.of(tokens.gather(ids), g.op("Gather", List.of(positionTable, positions))));

    String h = null;
    for (int i = 0; i < config.layers(); i++) {
      g.scope("layer." + i);
      Gpt2Tensors.Layer l = names.layer(i);
      if (i == 0) {
        h = layerNorm(g, tensors, x, l.norm1(), config.eps());
      }
      g.input(pastKey(i), FLOAT, BATCH, (long) heads, "past_sequence", headSize);
      g.input(pastValue(i), FLOAT, BATCH, (long) heads, "past_sequence", headSize);
      String qkv = projection(linears, tensors, h, l.qkv());
      List<String> attention =
          g.msOps(
              "GroupQueryAttention",
              List.of(qkv, "", "", pastKey(i), pastValue(i), seqlensK, total),
              Arrays.asList(null, presentKey(i), presentValue(i)),
              Attr.i("num_heads", heads),
              Attr.i("kv_num_heads", heads));
      g.output(presentKey(i), FLOAT, BATCH, (long) heads, "total_sequence", headSize);
      g.output(presentValue(i), FLOAT, BATCH, (long) heads, "total_sequence", headSize);
      String attended = projection(linears, tensors, attention.get(0), l.output());
      List<String> norm2 = skipLayerNorm(g, tensors, attended, x, l.norm2(), config.eps());
      x = norm2.get(3);
      String up = g.msOp("FastGelu", List.of(projection(linears, tensors, norm2.get(0), l.up())));
      String down = projection(linears, tensors, up, l.down());
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
        config.tied() || !tensors.containsKey(Gpt2Tensors.LM_HEAD)
            ? tokens.head(normed)
            : linears.head(normed, Matrix.of(tensors, Gpt2Tensors.LM_HEAD));
    g.op("Identity", List.of(logits), LOGITS);
    g.output(LOGITS, FLOAT, BATCH, (long) wte.out());
    g.scope("");
  }

  /** A Conv1D projection (weight stored {@code (in, out)}) with its bias. */
  private static String projection(
      Linears linears, Map<String, Tensor> tensors, String x, String module) throws IOException {
    return linears.linear(
        x, Matrix.ofInOut(tensors, module + ".weight"), Matrix.floats(tensors, module + ".bias"));
  }

  private static String layerNorm(
      OnnxGraphBuilder g, Map<String, Tensor> tensors, String x, String module, double eps)
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
      Map<String, Tensor> tensors,
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

  private static String norm(OnnxGraphBuilder g, Map<String, Tensor> tensors, String name)
      throws IOException {
    float[] v = Matrix.floats(tensors, name);
    return g.floats(name, v, v.length);
  }
}
