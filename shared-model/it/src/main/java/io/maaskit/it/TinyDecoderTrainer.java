package io.maaskit.it;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.model.arch.huggingface.HfTextTokenizer;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Safetensors.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains a tiny decoder (the tiny Llama shape {@link TinyDecoders.LlamaShape#TINY}: hidden 64, 2
 * layers, 4 query and 2 key/value heads, tied embeddings; or the tiny GPT-2: hidden 64, 2 layers, 4
 * heads, tied head) on next-token cross-entropy over a small deterministic corpus and writes it as
 * a Hugging Face checkpoint with the tiny tokenizer: a decoder whose next-token distributions are
 * peaked where the text is predictable, as a real model's are, unlike the random checkpoints'
 * near-uniform ones.
 *
 * <p>The forward passes are written here on DJL's NDArray API (the kit's networks hold their
 * weights fused and fixed, for serving), with gradients from the eager engine's autograd and DJL's
 * AdamW. They follow Hugging Face's {@code LlamaForCausalLM} (RMSNorm, half-split rotary embeddings
 * with {@code rope_theta} 10000 and no rope scaling, grouped-query attention, SiLU-gated MLP) and
 * {@code GPT2LMHeadModel} (learned positions, LayerNorm, Conv1D weights stored {@code (in, out)},
 * {@code gelu_new}); whether the written checkpoint means to the kit what it meant here is for the
 * caller to check by loading it (a checkpoint read differently scores near-random loss).
 *
 * <pre>{@code
 * TinyDecoderTrainer.Result r =
 *     TinyDecoderTrainer.train(TinyDecoders.Kind.LLAMA, TinyDecoderTrainer.corpus(), hfDir);
 * }</pre>
 */
public final class TinyDecoderTrainer {
  /** Steps of AdamW. */
  public static final int STEPS = 400;

  /** Sequences per step. */
  public static final int BATCH = 16;

  /** Tokens per training sequence (the quantizer's gate reads at most 64 tokens per text). */
  public static final int LENGTH = 64;

  /** Peak learning rate (linear warm-up, cosine decay). */
  public static final float LEARNING_RATE = 1e-2f;

  /** Seed of the initial weights, the corpus and the batches. */
  public static final long SEED = 21;

  /**
   * What the recipe depends on; a fixture cached under another recipe is stale. Change it with any
   * change to the training code or the corpus.
   */
  public static final String RECIPE =
      "tiny llama/gpt2 steps="
          + STEPS
          + " batch="
          + BATCH
          + " len="
          + LENGTH
          + " lr="
          + LEARNING_RATE
          + " seed="
          + SEED
          + " corpus=grammar400+held-out v1";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TinyDecoderTrainer() {}

  /**
   * The outcome of training.
   *
   * @param initialLoss mean cross-entropy (nats per token) of the first 10 steps
   * @param finalLoss mean cross-entropy of the last 20 steps
   * @param tokens tokens in the corpus
   * @param seconds wall time of the training loop
   */
  public record Result(double initialLoss, double finalLoss, int tokens, double seconds) {}

  /**
   * The training corpus: {@code 400} sentences of a seeded grammar (shops, people, weather,
   * schedules) followed by the kit's held-out calibration texts (English prose, lists, code, URLs,
   * French and German paragraphs). None of it is in the calibration set the quantizer's gate reads.
   */
  public static List<String> corpus() {
    List<String> texts = new ArrayList<>(grammar(400, SEED));
    texts.addAll(io.maaskit.tools.quant.CalibrationSet.heldOut().texts());
    return texts;
  }

  /** {@code n} sentences of the grammar, reproducible from {@code seed}. */
  public static List<String> grammar(int n, long seed) {
    String[] who = {
      "The baker",
      "My neighbour",
      "The old teacher",
      "A young doctor",
      "The captain",
      "Our friend",
      "The gardener",
      "Her brother",
      "The mayor",
      "A tired student"
    };
    String[] did = {
      "sells fresh bread", "reads the morning paper", "walks the dog", "repairs the bicycle",
      "opens the shop", "writes a long letter", "cooks a warm soup", "paints the front door",
      "waters the tomatoes", "visits the museum"
    };
    String[] where = {
      "at the market",
      "near the station",
      "in the garden",
      "by the river",
      "in the kitchen",
      "on the hill",
      "at the library",
      "behind the church"
    };
    String[] when = {
      "every morning",
      "on Sundays",
      "after lunch",
      "before the rain",
      "in the evening",
      "twice a week",
      "when the sun shines",
      "during the holidays"
    };
    String[] weather = {"sunny", "cold", "windy", "rainy", "warm", "grey"};
    String[] days = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    Random r = new Random(seed);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String s =
          switch (r.nextInt(4)) {
            case 0 ->
                pick(r, who)
                    + " "
                    + pick(r, did)
                    + " "
                    + pick(r, where)
                    + " "
                    + pick(r, when)
                    + ".";
            case 1 -> pick(r, who) + " " + pick(r, did) + " " + pick(r, when) + ".";
            case 2 ->
                "On "
                    + pick(r, days)
                    + " it was "
                    + pick(r, weather)
                    + ", so "
                    + pick(r, who).toLowerCase(java.util.Locale.ROOT)
                    + " stayed "
                    + pick(r, where)
                    + ".";
            default ->
                "Did "
                    + pick(r, who).toLowerCase(java.util.Locale.ROOT)
                    + " go "
                    + pick(r, where)
                    + " on "
                    + pick(r, days)
                    + "? Yes, "
                    + pick(r, when)
                    + ".";
          };
      out.add(s);
    }
    return out;
  }

  private static String pick(Random r, String[] options) {
    return options[r.nextInt(options.length)];
  }

  /**
   * Writes the tiny checkpoint's config and tokenizer files ({@link TinyDecoders#write}) into
   * {@code dir}, trains the network on {@code corpus} and writes its weights there as {@code
   * model.safetensors}.
   *
   * @param kind {@link TinyDecoders.Kind#LLAMA} or {@link TinyDecoders.Kind#GPT2}
   * @throws IllegalStateException if the final loss is not below half of {@code ln(vocab)}
   */
  public static Result train(TinyDecoders.Kind kind, List<String> corpus, Path dir)
      throws IOException {
    if (kind == TinyDecoders.Kind.QWEN2) {
      throw new IllegalArgumentException("only the tiny Llama and GPT-2 are trained");
    }
    TinyDecoders.write(TinyDecoders.Variant.of(kind), dir, SEED);
    // No llama3 rope scaling: the forward below uses plain rotary frequencies.
    ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
    config.remove("rope_scaling");
    Files.write(dir.resolve("config.json"), JSON.writeValueAsBytes(config));
    int[] stream;
    try (HfTextTokenizer tok =
        HfTextTokenizer.of(Files.readAllBytes(dir.resolve("tokenizer.json")))) {
      stream = tokens(corpus, tok);
    }
    EagerEngine engine = EagerEngine.start(EngineOptions.defaults());
    engine.prepareThread();
    Result result;
    Map<String, float[]> trained;
    Map<String, long[]> shapes = new LinkedHashMap<>();
    try (NDManager manager = engine.newManager()) {
      Net net = new Net(manager, kind, new Random(SEED));
      result = net.fit(stream, engine.gradients());
      trained = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : net.parameters.entrySet()) {
        trained.put(e.getKey(), e.getValue().toFloatArray());
        shapes.put(e.getKey(), e.getValue().getShape().getShape());
      }
    }
    double bound = 0.5 * Math.log(TinyDecoders.VOCAB);
    if (!(result.finalLoss() < bound)) {
      throw new IllegalStateException(
          "the tiny "
              + kind
              + " did not learn: loss "
              + result.initialLoss()
              + " -> "
              + result.finalLoss()
              + " nats, not below half of ln(vocab) = "
              + bound);
    }
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> e : trained.entrySet()) {
      tensors.put(e.getKey(), Tensor.ofFloats(e.getValue(), shapes.get(e.getKey())));
    }
    Safetensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    return result;
  }

  /** The corpus as one token stream, texts separated by {@code <|endoftext|>}. */
  private static int[] tokens(List<String> corpus, HfTextTokenizer tok) {
    int eot = TinyDecoders.specialId("<|endoftext|>");
    List<Integer> ids = new ArrayList<>();
    for (String text : corpus) {
      for (int id : tok.encode(text, false)) {
        ids.add(id);
      }
      ids.add(eot);
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The network's parameters by Hugging Face name, and its forward pass. */
  private static final class Net {
    private static final int HIDDEN = 64;
    private static final int LAYERS = 2;
    private static final int HEADS = 4;

    private final NDManager manager;
    private final TinyDecoders.Kind kind;
    private final int heads = HEADS;
    private final int kvHeads;
    private final int headSize = HIDDEN / HEADS;
    private final int vocab = TinyDecoders.VOCAB;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();

    Net(NDManager manager, TinyDecoders.Kind kind, Random r) {
      this.manager = manager;
      this.kind = kind;
      int h = HIDDEN;
      double std = 1 / Math.sqrt(h);
      if (kind == TinyDecoders.Kind.LLAMA) {
        TinyDecoders.LlamaShape shape = TinyDecoders.LlamaShape.TINY;
        if (shape.hidden() != h || shape.layers() != LAYERS || shape.heads() != HEADS) {
          throw new IllegalStateException("the tiny Llama shape changed: " + shape);
        }
        kvHeads = shape.kvHeads();
        int inter = shape.intermediate();
        int kvWidth = kvHeads * headSize;
        add("model.embed_tokens.weight", r, 0.1, 0, vocab, h);
        for (int i = 0; i < LAYERS; i++) {
          String p = "model.layers." + i + ".";
          add(p + "input_layernorm.weight", r, 0, 1, h);
          add(p + "self_attn.q_proj.weight", r, std, 0, h, h);
          add(p + "self_attn.k_proj.weight", r, std, 0, kvWidth, h);
          add(p + "self_attn.v_proj.weight", r, std, 0, kvWidth, h);
          add(p + "self_attn.o_proj.weight", r, std / 2, 0, h, h);
          add(p + "post_attention_layernorm.weight", r, 0, 1, h);
          add(p + "mlp.gate_proj.weight", r, std, 0, inter, h);
          add(p + "mlp.up_proj.weight", r, std, 0, inter, h);
          add(p + "mlp.down_proj.weight", r, 0.5 / Math.sqrt(inter), 0, h, inter);
        }
        add("model.norm.weight", r, 0, 1, h);
      } else {
        kvHeads = HEADS;
        add("transformer.wte.weight", r, 0.1, 0, vocab, h);
        add("transformer.wpe.weight", r, 0.02, 0, TinyDecoders.CONTEXT, h);
        for (int i = 0; i < LAYERS; i++) {
          String p = "transformer.h." + i + ".";
          add(p + "ln_1.weight", r, 0, 1, h);
          add(p + "ln_1.bias", r, 0, 0, h);
          add(p + "attn.c_attn.weight", r, std, 0, h, 3 * h);
          add(p + "attn.c_attn.bias", r, 0, 0, 3 * h);
          add(p + "attn.c_proj.weight", r, std / 2, 0, h, h);
          add(p + "attn.c_proj.bias", r, 0, 0, h);
          add(p + "ln_2.weight", r, 0, 1, h);
          add(p + "ln_2.bias", r, 0, 0, h);
          add(p + "mlp.c_fc.weight", r, std, 0, h, 4 * h);
          add(p + "mlp.c_fc.bias", r, 0, 0, 4 * h);
          add(p + "mlp.c_proj.weight", r, 0.25 / Math.sqrt(h), 0, 4 * h, h);
          add(p + "mlp.c_proj.bias", r, 0, 0, h);
        }
        add("transformer.ln_f.weight", r, 0, 1, h);
        add("transformer.ln_f.bias", r, 0, 0, h);
      }
    }

    private void add(String name, Random r, double std, double mean, long... dims) {
      int n = (int) new Shape(dims).size();
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        v[i] = (float) (mean + std * r.nextGaussian());
      }
      NDArray a = manager.create(v, new Shape(dims));
      a.setRequiresGradient(true);
      parameters.put(name, a);
    }

    Result fit(int[] stream, EagerEngine.Gradients gradients) {
      long t0 = System.nanoTime();
      Tracker lr =
          Tracker.warmUp()
              .setMainTracker(
                  Tracker.cosine()
                      .setBaseValue(LEARNING_RATE)
                      .optFinalValue(LEARNING_RATE / 10)
                      .setMaxUpdates(STEPS - 30)
                      .build())
              .optWarmUpSteps(30)
              .optWarmUpBeginValue(0f)
              .build();
      Optimizer adamW = Optimizer.adamW().optLearningRateTracker(lr).optWeightDecays(0.01f).build();
      Random r = new Random(SEED + 1);
      double first = 0;
      double last = 0;
      for (int step = 0; step < STEPS; step++) {
        int[] inputs = new int[BATCH * LENGTH];
        int[] targets = new int[BATCH * LENGTH];
        for (int b = 0; b < BATCH; b++) {
          int start = r.nextInt(stream.length - LENGTH - 1);
          System.arraycopy(stream, start, inputs, b * LENGTH, LENGTH);
          System.arraycopy(stream, start + 1, targets, b * LENGTH, LENGTH);
        }
        float loss;
        try (NDManager m = manager.newSubManager()) {
          boolean prev = gradients.gradMode(true);
          try {
            NDArray l = loss(inputs, targets, m);
            gradients.backward(l);
            loss = l.getFloat();
          } finally {
            gradients.gradMode(prev);
          }
          for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            try (NDArray grad = e.getValue().getGradient()) {
              adamW.update(e.getKey(), e.getValue(), grad);
            }
            gradients.zeroGrad(e.getValue());
          }
        }
        if (!Float.isFinite(loss)) {
          throw new IllegalStateException("training diverged at step " + step);
        }
        if (step < 10) {
          first += loss / 10;
        }
        if (step >= STEPS - 20) {
          last += loss / 20;
        }
      }
      return new Result(first, last, stream.length, (System.nanoTime() - t0) / 1e9);
    }

    /** Mean next-token cross-entropy of {@link #BATCH} sequences of {@link #LENGTH} tokens. */
    private NDArray loss(int[] inputs, int[] targets, NDManager m) {
      NDArray mask = causalMask(m);
      NDArray logits =
          kind == TinyDecoders.Kind.LLAMA ? llama(inputs, mask, m) : gpt2(inputs, mask, m);
      return logits
          .logSoftmax(1)
          .mul(oneHot(targets, vocab, m))
          .sum()
          .neg()
          .div(m.create((float) inputs.length));
    }

    private NDArray llama(int[] inputs, NDArray mask, NDManager m) {
      NDArray x = oneHot(inputs, vocab, m).matMul(parameters.get("model.embed_tokens.weight"));
      NDArray cos = rotary(m, true);
      NDArray sin = rotary(m, false);
      NDArray rotateHalf = rotateHalf(m);
      for (int i = 0; i < LAYERS; i++) {
        String p = "model.layers." + i + ".";
        NDArray a = rmsNorm(x, p + "input_layernorm.weight", m);
        NDArray q = rope(linear(a, p + "self_attn.q_proj.weight", m), heads, cos, sin, rotateHalf);
        NDArray k =
            rope(linear(a, p + "self_attn.k_proj.weight", m), kvHeads, cos, sin, rotateHalf);
        NDArray v = linear(a, p + "self_attn.v_proj.weight", m);
        x = x.add(linear(attend(q, k, v, mask, m), p + "self_attn.o_proj.weight", m));
        NDArray b = rmsNorm(x, p + "post_attention_layernorm.weight", m);
        NDArray gate = linear(b, p + "mlp.gate_proj.weight", m);
        NDArray up = linear(b, p + "mlp.up_proj.weight", m);
        NDArray act = gate.mul(Activation.sigmoid(gate)).mul(up);
        x = x.add(linear(act, p + "mlp.down_proj.weight", m));
      }
      return linear(rmsNorm(x, "model.norm.weight", m), "model.embed_tokens.weight", m);
    }

    private NDArray gpt2(int[] inputs, NDArray mask, NDManager m) {
      int[] positions = new int[LENGTH];
      for (int i = 0; i < LENGTH; i++) {
        positions[i] = i;
      }
      NDArray pos =
          oneHot(positions, TinyDecoders.CONTEXT, m)
              .matMul(parameters.get("transformer.wpe.weight"));
      NDArray x =
          oneHot(inputs, vocab, m)
              .matMul(parameters.get("transformer.wte.weight"))
              .reshape(BATCH, LENGTH, HIDDEN)
              .add(pos)
              .reshape((long) BATCH * LENGTH, HIDDEN);
      for (int i = 0; i < LAYERS; i++) {
        String p = "transformer.h." + i + ".";
        NDArray qkv = conv1d(layerNorm(x, p + "ln_1", m), p + "attn.c_attn");
        NDList split = qkv.split(3, 1);
        NDArray k = split.get(1).reshape(BATCH, LENGTH, heads, headSize);
        NDArray attended = attend(split.get(0), k, split.get(2), mask, m);
        x = x.add(conv1d(attended, p + "attn.c_proj"));
        NDArray h = conv1d(layerNorm(x, p + "ln_2", m), p + "mlp.c_fc");
        x = x.add(conv1d(geluNew(h, m), p + "mlp.c_proj"));
      }
      return linear(layerNorm(x, "transformer.ln_f", m), "transformer.wte.weight", m);
    }

    /** {@code x W^T}, the transposed view attached to the step's manager. */
    private NDArray linear(NDArray x, String weight, NDManager m) {
      NDArray t = parameters.get(weight).transpose();
      t.attach(m);
      return x.matMul(t);
    }

    /** GPT-2's Conv1D: {@code x W + b} with {@code W} stored {@code (in, out)}. */
    private NDArray conv1d(NDArray x, String prefix) {
      return x.matMul(parameters.get(prefix + ".weight")).add(parameters.get(prefix + ".bias"));
    }

    private NDArray rmsNorm(NDArray x, String weight, NDManager m) {
      NDArray rms = x.square().mean(new int[] {-1}, true).add(m.create(1e-5f)).sqrt();
      return x.div(rms).mul(parameters.get(weight));
    }

    private NDArray layerNorm(NDArray x, String prefix, NDManager m) {
      NDArray centred = x.sub(x.mean(new int[] {-1}, true));
      NDArray sd = centred.square().mean(new int[] {-1}, true).add(m.create(1e-5f)).sqrt();
      return centred
          .div(sd)
          .mul(parameters.get(prefix + ".weight"))
          .add(parameters.get(prefix + ".bias"));
    }

    /** {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    private static NDArray geluNew(NDArray x, NDManager m) {
      NDArray inner =
          x.add(x.mul(x).mul(x).mul(m.create(0.044715f)))
              .mul(m.create((float) Math.sqrt(2 / Math.PI)));
      return x.mul(inner.tanh().add(m.create(1f))).mul(m.create(0.5f));
    }

    /** Rotary embedding of {@code (rows, heads * headSize)}, as {@code (B, L, heads, headSize)}. */
    private NDArray rope(NDArray x, int count, NDArray cos, NDArray sin, NDArray rotateHalf) {
      NDArray y = x.reshape(BATCH, LENGTH, count, headSize);
      return y.mul(cos).add(y.matMul(rotateHalf).mul(sin));
    }

    /**
     * Causal (grouped-query) attention of queries {@code (rows, heads * headSize)}, keys {@code (B,
     * L, kvHeads, headSize)} and values {@code (rows, kvHeads * headSize)}: each key/value head's
     * queries ({@code group * L} of them) against its {@code L} keys, as the kit's full-sequence
     * pass lays them out.
     */
    private NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask, NDManager m) {
      int group = heads / kvHeads;
      NDArray queries =
          q.reshape(BATCH, LENGTH, kvHeads, group, headSize)
              .transpose(0, 2, 3, 1, 4)
              .reshape(BATCH, kvHeads, (long) group * LENGTH, headSize);
      NDArray keys = k.transpose(0, 2, 3, 1); // (B, kv, d, L)
      NDArray values = v.reshape(BATCH, LENGTH, kvHeads, headSize).transpose(0, 2, 1, 3);
      NDArray scores =
          queries.matMul(keys).mul(m.create((float) (1 / Math.sqrt(headSize)))).add(mask);
      return scores
          .softmax(-1)
          .matMul(values)
          .reshape(BATCH, kvHeads, group, LENGTH, headSize)
          .transpose(0, 3, 1, 2, 4)
          .reshape((long) BATCH * LENGTH, (long) heads * headSize);
    }

    /** {@code (group * L, L)}: 0 where query row {@code r} (position {@code r mod L}) may look. */
    private NDArray causalMask(NDManager m) {
      int group = heads / kvHeads;
      float[] mask = new float[group * LENGTH * LENGTH];
      for (int r = 0; r < group * LENGTH; r++) {
        for (int c = r % LENGTH + 1; c < LENGTH; c++) {
          mask[r * LENGTH + c] = -1e9f;
        }
      }
      return m.create(mask, new Shape((long) group * LENGTH, LENGTH));
    }

    /** Cosines or sines {@code (L, 1, headSize)}, Hugging Face's half-split layout. */
    private NDArray rotary(NDManager m, boolean cosines) {
      int half = headSize / 2;
      float[] out = new float[LENGTH * headSize];
      for (int pos = 0; pos < LENGTH; pos++) {
        for (int j = 0; j < half; j++) {
          double angle = pos * Math.pow(10000.0, -2.0 * j / headSize);
          float f = (float) (cosines ? Math.cos(angle) : Math.sin(angle));
          out[pos * headSize + j] = f;
          out[pos * headSize + j + half] = f;
        }
      }
      return m.create(out, new Shape(LENGTH, 1, headSize));
    }

    /** {@code R} with {@code x @ R = concat(-x[d/2:], x[:d/2])}. */
    private NDArray rotateHalf(NDManager m) {
      int d = headSize;
      int half = d / 2;
      float[] r = new float[d * d];
      for (int j = 0; j < half; j++) {
        r[(j + half) * d + j] = -1f;
        r[j * d + j + half] = 1f;
      }
      return m.create(r, new Shape(d, d));
    }

    private static NDArray oneHot(int[] ids, int classes, NDManager m) {
      float[] v = new float[ids.length * classes];
      for (int i = 0; i < ids.length; i++) {
        v[i * classes + ids[i]] = 1f;
      }
      return m.create(v, new Shape(ids.length, classes));
    }
  }
}
