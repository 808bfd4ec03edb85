package io.maaskit.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes the generation benchmark's checkpoint: a Hugging Face {@code LlamaForCausalLM} directory
 * with SmolLM2-135M's shape (hidden 576, 30 layers, 9 heads, 3 KV heads, intermediate 1536, vocab
 * 49152, RoPE θ 100000, tied embeddings), random weights, a byte-level BPE {@code tokenizer.json}
 * (see {@link ByteLevelBpe}) and the two benchmark prompts with the ids they must encode to.
 *
 * <p>One directory per weight dtype ({@code fp32}, {@code bf16}); the fp32 weights are the bf16
 * ones widened, so both hold the same model. Weights are uniform with the config's {@code
 * initializer_range} as standard deviation, seeded per tensor name; the embedding rows of the
 * special tokens are zero, so with tied embeddings their logits are exactly 0 and greedy decoding
 * never ends a sequence early. A directory is written once: an existing one with the same {@code
 * bench-checkpoint.json} is kept.
 *
 * <pre>
 * RandomCheckpoint --out bench/work/cache/smollm2-135m-random --dtypes fp32,bf16
 * </pre>
 */
public final class RandomCheckpoint {
  static final int HIDDEN = 576;
  static final int LAYERS = 30;
  static final int HEADS = 9;
  static final int KV_HEADS = 3;
  static final int INTERMEDIATE = 1536;
  static final int VOCAB = 49152;
  static final double ROPE_THETA = 100000;

  /** A Llama checkpoint's shape (head size = hidden / heads; tied embeddings). */
  record Shape(
      String name,
      int hidden,
      int layers,
      int heads,
      int kvHeads,
      int intermediate,
      int vocab,
      double ropeTheta) {}

  /** SmolLM2-135M's shape, the default. */
  static final Shape SMOLLM2_135M =
      new Shape("smollm2-135m", HIDDEN, LAYERS, HEADS, KV_HEADS, INTERMEDIATE, VOCAB, ROPE_THETA);

  /** Llama-3.2-1B's shape (rope scaling left out: the weights are random anyway). */
  static final Shape LLAMA_32_1B = new Shape("llama-3.2-1b", 2048, 16, 32, 8, 8192, 128256, 500000);

  /** The shape this process writes ({@code --shape}). */
  static Shape shape = SMOLLM2_135M;

  static final double INIT_STD = 0.041666666666666664;
  static final long SEED = 20261201L;

  /** Text tokens of the time-to-first-token prompt; with BOS the model sees 256. */
  static final int TTFT_PROMPT_TOKENS = 255;

  /** Text tokens of the decode prompt; with BOS the model sees 16. */
  static final int DECODE_PROMPT_TOKENS = 15;

  /** Bumped whenever what is written changes, so stale caches are rewritten. */
  static final int FORMAT = 1;

  private static final ObjectMapper JSON = new ObjectMapper();

  private RandomCheckpoint() {}

  public static void main(String[] args) throws Exception {
    Path out = null;
    List<String> dtypes = List.of("fp32", "bf16");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--out" -> out = Path.of(args[i + 1]);
        case "--dtypes" -> dtypes = List.of(args[i + 1].split(","));
        case "--shape" ->
            shape =
                switch (args[i + 1]) {
                  case "smollm2-135m" -> SMOLLM2_135M;
                  case "llama-3.2-1b" -> LLAMA_32_1B;
                  default ->
                      throw new IllegalArgumentException(
                          "--shape must be smollm2-135m or llama-3.2-1b");
                };
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (out == null) {
      throw new IllegalArgumentException("need --out DIR");
    }
    for (String dt : dtypes) {
      write(out.resolveSibling(out.getFileName() + "-" + dt), dt);
    }
  }

  /** The tensors of the checkpoint in file order, with their shapes. */
  static Map<String, long[]> shapes() {
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("model.embed_tokens.weight", new long[] {shape.vocab(), shape.hidden()});
    int kv = shape.hidden() / shape.heads() * shape.kvHeads();
    for (int l = 0; l < shape.layers(); l++) {
      String p = "model.layers." + l + ".";
      s.put(p + "input_layernorm.weight", new long[] {shape.hidden()});
      s.put(p + "self_attn.q_proj.weight", new long[] {shape.hidden(), shape.hidden()});
      s.put(p + "self_attn.k_proj.weight", new long[] {kv, shape.hidden()});
      s.put(p + "self_attn.v_proj.weight", new long[] {kv, shape.hidden()});
      s.put(p + "self_attn.o_proj.weight", new long[] {shape.hidden(), shape.hidden()});
      s.put(p + "post_attention_layernorm.weight", new long[] {shape.hidden()});
      s.put(p + "mlp.gate_proj.weight", new long[] {shape.intermediate(), shape.hidden()});
      s.put(p + "mlp.up_proj.weight", new long[] {shape.intermediate(), shape.hidden()});
      s.put(p + "mlp.down_proj.weight", new long[] {shape.hidden(), shape.intermediate()});
    }
    s.put("model.norm.weight", new long[] {shape.hidden()});
    return s;
  }

  /**
   * Bytes one decode step must read at {@code bytesPerWeight}: every matrix (the tied embedding
   * once, as the LM head; one embedding row is negligible) and the norm vectors.
   */
  static long weightBytesPerToken(int bytesPerWeight) {
    long n = 0;
    for (long[] shape : shapes().values()) {
      long e = 1;
      for (long d : shape) {
        e *= d;
      }
      n += e;
    }
    return n * bytesPerWeight;
  }

  /** What the tokenizer is trained on and the prompts are cut from: the bench corpus. */
  static List<String> corpus() {
    List<String> corpus = new ArrayList<>(Corpus.batch(Corpus.MAX_BATCH));
    corpus.add(Corpus.LONG);
    return corpus;
  }

  /** The checkpoint's tokenizer. */
  static ByteLevelBpe tokenizer() {
    return ByteLevelBpe.train(corpus(), 4000, shape.vocab());
  }

  static Map<String, Object> config(String dtype) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("architectures", List.of("LlamaForCausalLM"));
    c.put("attention_bias", false);
    c.put("attention_dropout", 0.0);
    c.put("bos_token_id", 0);
    c.put("eos_token_id", 0);
    c.put("hidden_act", "silu");
    c.put("hidden_size", shape.hidden());
    c.put("initializer_range", INIT_STD);
    c.put("intermediate_size", shape.intermediate());
    c.put("max_position_embeddings", 8192);
    c.put("mlp_bias", false);
    c.put("model_type", "llama");
    c.put("num_attention_heads", shape.heads());
    c.put("num_hidden_layers", shape.layers());
    c.put("num_key_value_heads", shape.kvHeads());
    c.put("pretraining_tp", 1);
    c.put("rms_norm_eps", 1e-5);
    c.put("rope_scaling", null);
    c.put("rope_theta", shape.ropeTheta());
    c.put("tie_word_embeddings", true);
    c.put("torch_dtype", dtype.equals("bf16") ? "bfloat16" : "float32");
    c.put("use_cache", true);
    c.put("vocab_size", shape.vocab());
    return c;
  }

  static void write(Path dir, String dtype) throws IOException {
    if (!dtype.equals("fp32") && !dtype.equals("bf16")) {
      throw new IllegalArgumentException("dtype must be fp32 or bf16, not " + dtype);
    }
    Map<String, Object> stamp = new LinkedHashMap<>();
    stamp.put("format", FORMAT);
    stamp.put("shape", shape.name());
    stamp.put("seed", SEED);
    stamp.put("dtype", dtype);
    String stampJson = JSON.writeValueAsString(stamp);
    Path stampFile = dir.resolve("bench-checkpoint.json");
    if (Files.exists(stampFile) && Files.readString(stampFile).equals(stampJson)) {
      System.err.println("[generation] checkpoint " + dir + " is up to date");
      return;
    }
    long t0 = System.nanoTime();
    Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
    ColdStart.deleteRecursively(tmp);
    Files.createDirectories(tmp);

    List<String> corpus = corpus();
    ByteLevelBpe bpe = tokenizer();
    JSON.writerWithDefaultPrettyPrinter()
        .writeValue(tmp.resolve("config.json").toFile(), config(dtype));
    JSON.writeValue(tmp.resolve("tokenizer.json").toFile(), bpe.tokenizerJson());
    Map<String, Object> tc = new LinkedHashMap<>();
    tc.put("add_bos_token", false);
    tc.put("bos_token", ByteLevelBpe.SPECIALS.get(0));
    tc.put("eos_token", ByteLevelBpe.SPECIALS.get(0));
    tc.put("unk_token", ByteLevelBpe.SPECIALS.get(0));
    tc.put("model_max_length", 8192);
    tc.put("tokenizer_class", "GPT2Tokenizer");
    tc.put("clean_up_tokenization_spaces", false);
    JSON.writerWithDefaultPrettyPrinter()
        .writeValue(tmp.resolve("tokenizer_config.json").toFile(), tc);
    Map<String, Object> gc = new LinkedHashMap<>();
    gc.put("bos_token_id", 0);
    gc.put("eos_token_id", 0);
    JSON.writerWithDefaultPrettyPrinter()
        .writeValue(tmp.resolve("generation_config.json").toFile(), gc);

    Map<String, Object> prompts = new LinkedHashMap<>();
    for (var p : Map.of("ttft", TTFT_PROMPT_TOKENS, "decode", DECODE_PROMPT_TOKENS).entrySet()) {
      String text = bpe.prompt(corpus, p.getValue());
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("text", text);
      o.put("ids", bpe.encode(text));
      o.put("bos_token_id", 0);
      prompts.put(p.getKey(), o);
    }
    JSON.writerWithDefaultPrettyPrinter()
        .writeValue(tmp.resolve("bench-prompts.json").toFile(), prompts);

    writeWeights(tmp.resolve("model.safetensors"), dtype);
    Files.writeString(tmp.resolve("bench-checkpoint.json"), stampJson);
    ColdStart.deleteRecursively(dir);
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    System.err.printf(
        "[generation] wrote %s checkpoint %s (%s) in %.1f s%n",
        dtype, dir, bpe, (System.nanoTime() - t0) / 1e9);
  }

  private static void writeWeights(Path file, String dtype) throws IOException {
    int bytes = dtype.equals("bf16") ? 2 : 4;
    Map<String, long[]> shapes = shapes();
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("__metadata__", Map.of("format", "pt"));
    long offset = 0;
    for (var e : shapes.entrySet()) {
      long n = elements(e.getValue());
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("dtype", bytes == 2 ? "BF16" : "F32");
      t.put("shape", e.getValue());
      t.put("data_offsets", List.of(offset, offset + n * bytes));
      header.put(e.getKey(), t);
      offset += n * bytes;
    }
    byte[] h = JSON.writeValueAsBytes(header);
    int padded = (h.length + 7) / 8 * 8;
    ByteBuffer buf = ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      buf.putLong(padded);
      buf.put(h);
      for (int i = h.length; i < padded; i++) {
        buf.put((byte) ' ');
      }
      for (var e : shapes.entrySet()) {
        String name = e.getKey();
        long n = elements(e.getValue());
        boolean norm = name.endsWith("norm.weight");
        boolean embed = name.equals("model.embed_tokens.weight");
        long zeroUntil = embed ? (long) ByteLevelBpe.SPECIALS.size() * shape.hidden() : 0;
        SplittableRandom rnd = new SplittableRandom(SEED ^ name.hashCode());
        double a = INIT_STD * Math.sqrt(3);
        for (long i = 0; i < n; i++) {
          float v = norm ? 1f : i < zeroUntil ? 0f : (float) ((rnd.nextDouble() * 2 - 1) * a);
          short b16 = toBf16(v);
          if (bytes == 2) {
            buf.putShort(b16);
          } else {
            buf.putFloat(Float.intBitsToFloat(b16 << 16));
          }
          if (!buf.hasRemaining()) {
            buf.flip();
            while (buf.hasRemaining()) {
              ch.write(buf);
            }
            buf.clear();
          }
        }
      }
      buf.flip();
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }

  /** Round to nearest even (the values are finite). */
  static short toBf16(float v) {
    int bits = Float.floatToRawIntBits(v);
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7FFF + lsb) >>> 16);
  }

  private static long elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }
}
