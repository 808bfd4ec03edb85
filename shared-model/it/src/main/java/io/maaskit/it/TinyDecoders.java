package io.maaskit.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Safetensors.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Writes tiny random Hugging Face decoder checkpoints, as a Hugging Face directory would hold them
 * ({@code config.json}, safetensors weights, a byte-level BPE {@code tokenizer.json} with ChatML
 * special tokens, {@code tokenizer_config.json} with a chat template, {@code
 * generation_config.json}), for tests: no pretrained decoder weights are reachable from the build.
 *
 * <p>The tokenizer has the 256 byte tokens of GPT-2's byte-level alphabet and only a few merges of
 * ASCII pairs, so a multi-byte character (é, 日, an emoji) always spans several tokens.
 */
public final class TinyDecoders {
  /** Which architecture a checkpoint has. */
  public enum Kind {
    /** {@code LlamaForCausalLM}: GQA, tied embeddings, Llama 3 rope scaling. */
    LLAMA,
    /** {@code Qwen2ForCausalLM}: q/k/v biases, separate LM head. */
    QWEN2,
    /** {@code GPT2LMHeadModel}: learned positions, Conv1D weights, tied head. */
    GPT2
  }

  /**
   * How a checkpoint is stored.
   *
   * @param kind the architecture
   * @param dtype {@code F32} or {@code BF16}
   * @param sharded two shards and {@code model.safetensors.index.json} instead of one file
   * @param prefixed GPT-2 only: tensor names with the {@code transformer.} prefix
   */
  public record Variant(Kind kind, String dtype, boolean sharded, boolean prefixed) {
    /** The plain fp32 single-file checkpoint of {@code kind}. */
    public static Variant of(Kind kind) {
      return new Variant(kind, "F32", false, kind == Kind.GPT2);
    }
  }

  /** Special tokens, in id order after the byte tokens and merges. */
  public static final List<String> SPECIAL = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

  /** ASCII merges of the tokenizer, in priority order (GPT-2 spells a space {@code Ġ}). */
  public static final List<String> MERGES =
      List.of(
          "Ġ t", "h e", "Ġt he", "i n", "e r", "o n", "Ġ a", "r e", "a t", "s t", "e n", "o r",
          "Ġ s", "l l", "Ġ w", "Ġ o", "e s", "a n", "Ġ c", "i s", "Ġ h", "o u", "Ġ b", "e d", "Ġ f",
          "in g", "Ġ m", "i t", "Ġ p", "a r");

  /** Vocabulary size: 256 bytes, the merges, the special tokens. */
  public static final int VOCAB = 256 + MERGES.size() + SPECIAL.size();

  /** ChatML, as SmolLM2 and Qwen2 ship it. */
  public static final String CHAT_TEMPLATE =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' +"
          + " message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt"
          + " %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  /** Context length of every tiny checkpoint. */
  public static final int CONTEXT = 256;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TinyDecoders() {}

  /** Id of a special token. */
  public static int specialId(String token) {
    return 256 + MERGES.size() + SPECIAL.indexOf(token);
  }

  /** Writes a checkpoint directory. */
  public static void write(Variant v, Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    Random random = new Random(seed);
    Map<String, Object> config;
    Map<String, float[]> weights = new TreeMap<>();
    Map<String, long[]> shapes = new TreeMap<>();
    switch (v.kind) {
      case LLAMA -> config = llama(random, weights, shapes, false);
      case QWEN2 -> config = llama(random, weights, shapes, true);
      default -> config = gpt2(random, weights, shapes, v.prefixed);
    }
    Files.write(dir.resolve("config.json"), JSON.writeValueAsBytes(config));
    writeWeights(dir, weights, shapes, v.dtype, v.sharded);
    writeTokenizerFiles(dir);
  }

  private static void writeTokenizerFiles(Path dir) throws IOException {
    writeTokenizerFiles(dir, CHAT_TEMPLATE, CONTEXT);
  }

  /**
   * A Hermes / Qwen2.5-style chat template that renders {@code tools} into the system turn, writes
   * assistant tool calls as {@code <tool_call>} blocks and tool results as {@code <tool_response>}.
   */
  public static final String HERMES_TOOLS_TEMPLATE =
      "{%- if tools %}<|im_start|>system\n{% if messages[0]['role'] == 'system' %}"
          + "{{ messages[0]['content'] }}{% else %}You are a helpful assistant.{% endif %}\n\n"
          + "# Tools\n\nYou are provided with function signatures within <tools></tools>:\n<tools>"
          + "{% for tool in tools %}\n{{ tool | tojson }}{% endfor %}\n</tools>\n\nFor each"
          + " function call, return a json object within <tool_call></tool_call> XML tags:\n"
          + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
          + "</tool_call><|im_end|>\n{% elif messages[0]['role'] == 'system' %}<|im_start|>system\n"
          + "{{ messages[0]['content'] }}<|im_end|>\n{% endif %}"
          + "{% for message in messages %}"
          + "{% if message.role == 'user' or (message.role == 'system' and not loop.first)"
          + " or (message.role == 'assistant' and not message.tool_calls) %}"
          + "<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n"
          + "{% elif message.role == 'assistant' %}<|im_start|>assistant"
          + "{% if message.content %}\n{{ message.content }}{% endif %}"
          + "{% for tool_call in message.tool_calls %}\n<tool_call>\n{\"name\": \""
          + "{{ tool_call.function.name }}\", \"arguments\": {{ tool_call.function.arguments"
          + " | tojson }}}\n</tool_call>{% endfor %}<|im_end|>\n"
          + "{% elif message.role == 'tool' %}<|im_start|>user\n<tool_response>\n"
          + "{{ message.content }}\n</tool_response><|im_end|>\n{% endif %}{% endfor %}"
          + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

  /**
   * A Llama 3.1-style chat template: tools as JSON in the system turn ({@code Environment:
   * ipython}), calls as {@code {"name", "parameters"}} objects, tool results in {@code ipython}
   * turns.
   */
  public static final String LLAMA3_TOOLS_TEMPLATE =
      "<|begin_of_text|>{% if tools %}<|start_header_id|>system<|end_header_id|>\n\n"
          + "Environment: ipython\nTo call a function, respond with JSON in the format"
          + " {\"name\": function name, \"parameters\": dictionary of argument name and its"
          + " value}.\n\n{% for t in tools %}{{ t | tojson }}\n\n{% endfor %}<|eot_id|>{% endif %}"
          + "{% for message in messages %}"
          + "{% if message.role == 'assistant' and message.tool_calls %}"
          + "<|start_header_id|>assistant<|end_header_id|>\n\n"
          + "{% for tool_call in message.tool_calls %}{\"name\": \"{{ tool_call.function.name }}"
          + "\", \"parameters\": {{ tool_call.function.arguments | tojson }}}{% endfor %}"
          + "<|eom_id|>{% elif message.role == 'tool' %}<|start_header_id|>ipython<|end_header_id|>"
          + "\n\n{{ message.content }}<|eot_id|>{% else %}<|start_header_id|>{{ message.role }}"
          + "<|end_header_id|>\n\n{{ message.content }}<|eot_id|>{% endif %}{% endfor %}"
          + "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n"
          + "{% endif %}";

  /** Context of the tool-calling checkpoints: tool definitions make long prompts. */
  public static final int TOOLS_CONTEXT = 2048;

  /**
   * Writes a tiny random Llama or Qwen2 checkpoint (the {@link Kind}'s usual seed gives the same
   * weights as {@link #write}) whose chat template renders tools, with a longer context.
   */
  public static void writeWithTools(Kind kind, String chatTemplate, Path dir, long seed)
      throws IOException {
    Files.createDirectories(dir);
    Map<String, float[]> weights = new TreeMap<>();
    Map<String, long[]> shapes = new TreeMap<>();
    LlamaShape shape = new LlamaShape(64, 2, 4, 2, 96, VOCAB, TOOLS_CONTEXT);
    Map<String, Object> config =
        llama(new Random(seed), weights, shapes, kind == Kind.QWEN2, shape);
    Files.write(dir.resolve("config.json"), JSON.writeValueAsBytes(config));
    writeWeights(dir, weights, shapes, "F32", false);
    writeTokenizerFiles(dir, chatTemplate, TOOLS_CONTEXT);
  }

  private static void writeTokenizerFiles(Path dir, String chatTemplate, int context)
      throws IOException {
    Files.write(dir.resolve("tokenizer.json"), JSON.writeValueAsBytes(tokenizer()));
    Map<String, Object> tokCfg = new LinkedHashMap<>();
    tokCfg.put("add_bos_token", false);
    tokCfg.put("bos_token", "<|endoftext|>");
    tokCfg.put("eos_token", "<|im_end|>");
    tokCfg.put("pad_token", "<|endoftext|>");
    tokCfg.put("unk_token", "<|endoftext|>");
    tokCfg.put("model_max_length", context);
    tokCfg.put("chat_template", chatTemplate);
    Files.write(dir.resolve("tokenizer_config.json"), JSON.writeValueAsBytes(tokCfg));
    Map<String, Object> gen = new LinkedHashMap<>();
    gen.put("bos_token_id", specialId("<|endoftext|>"));
    gen.put("eos_token_id", List.of(specialId("<|im_end|>"), specialId("<|endoftext|>")));
    gen.put("do_sample", true);
    gen.put("temperature", 0.7);
    gen.put("top_p", 0.9);
    Files.write(dir.resolve("generation_config.json"), JSON.writeValueAsBytes(gen));
  }

  /**
   * The dimensions of a random Llama checkpoint.
   *
   * @param vocab model vocabulary (at least {@link #VOCAB}; rows past the tokenizer's are unused)
   */
  public record LlamaShape(
      int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab, int context) {
    /** The tiny test shape: hidden 64, 2 layers, 4 heads, 2 key/value heads. */
    public static final LlamaShape TINY = new LlamaShape(64, 2, 4, 2, 96, VOCAB, CONTEXT);

    /**
     * SmolLM2-135M's shape (hidden 576, 30 layers, 9 heads, 3 key/value heads, intermediate 1536,
     * vocab 49152, tied embeddings), for speed measurements.
     */
    public static final LlamaShape SMOLLM2_135M = new LlamaShape(576, 30, 9, 3, 1536, 49152, 2048);
  }

  /**
   * Writes a random {@code LlamaForCausalLM} of {@code shape} with the tiny tokenizer (for speed
   * measurements: the network is full size, the tokenizer is not).
   */
  public static void writeLlama(LlamaShape shape, Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    Map<String, float[]> weights = new TreeMap<>();
    Map<String, long[]> shapes = new TreeMap<>();
    Map<String, Object> config = llama(new Random(seed), weights, shapes, false, shape);
    Files.write(dir.resolve("config.json"), JSON.writeValueAsBytes(config));
    writeWeights(dir, weights, shapes, "F32", false);
    writeTokenizerFiles(dir);
  }

  private static Map<String, Object> llama(
      Random r, Map<String, float[]> w, Map<String, long[]> s, boolean qwen) {
    return llama(r, w, s, qwen, LlamaShape.TINY);
  }

  private static Map<String, Object> llama(
      Random r, Map<String, float[]> w, Map<String, long[]> s, boolean qwen, LlamaShape shape) {
    int hidden = shape.hidden();
    int heads = shape.heads();
    int kvHeads = shape.kvHeads();
    int headDim = hidden / heads;
    int inter = shape.intermediate();
    int layers = shape.layers();
    int vocab = shape.vocab();
    // Keeps activations of order one whatever the width: std ~ 1/sqrt(fan-in) scaled as TINY.
    double k = Math.sqrt(64.0 / hidden);
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("architectures", List.of(qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM"));
    c.put("model_type", qwen ? "qwen2" : "llama");
    c.put("vocab_size", vocab);
    c.put("hidden_size", hidden);
    c.put("intermediate_size", inter);
    c.put("num_hidden_layers", layers);
    c.put("num_attention_heads", heads);
    c.put("num_key_value_heads", kvHeads);
    c.put("hidden_act", "silu");
    c.put("max_position_embeddings", shape.context());
    c.put("rms_norm_eps", 1e-5);
    c.put("rope_theta", qwen ? 1000000.0 : 10000.0);
    if (!qwen) {
      Map<String, Object> scaling = new LinkedHashMap<>();
      scaling.put("rope_type", "llama3");
      scaling.put("factor", 8.0);
      scaling.put("low_freq_factor", 1.0);
      scaling.put("high_freq_factor", 4.0);
      scaling.put("original_max_position_embeddings", 8192);
      c.put("rope_scaling", scaling);
    }
    c.put("tie_word_embeddings", !qwen);
    c.put("bos_token_id", specialId("<|endoftext|>"));
    c.put("eos_token_id", specialId("<|im_end|>"));
    c.put("torch_dtype", "float32");
    put(w, s, r, "model.embed_tokens.weight", 0.5, 0, vocab, hidden);
    for (int i = 0; i < layers; i++) {
      String p = "model.layers." + i + ".";
      put(w, s, r, p + "input_layernorm.weight", 0.1, 1, hidden);
      put(w, s, r, p + "post_attention_layernorm.weight", 0.1, 1, hidden);
      put(w, s, r, p + "self_attn.q_proj.weight", 0.25 * k, 0, heads * headDim, hidden);
      put(w, s, r, p + "self_attn.k_proj.weight", 0.25 * k, 0, kvHeads * headDim, hidden);
      put(w, s, r, p + "self_attn.v_proj.weight", 0.25 * k, 0, kvHeads * headDim, hidden);
      put(w, s, r, p + "self_attn.o_proj.weight", 0.15 * k, 0, hidden, heads * headDim);
      if (qwen) {
        put(w, s, r, p + "self_attn.q_proj.bias", 0.3, 0, heads * headDim);
        put(w, s, r, p + "self_attn.k_proj.bias", 0.3, 0, kvHeads * headDim);
        put(w, s, r, p + "self_attn.v_proj.bias", 0.3, 0, kvHeads * headDim);
      }
      put(w, s, r, p + "mlp.gate_proj.weight", 0.2 * k, 0, inter, hidden);
      put(w, s, r, p + "mlp.up_proj.weight", 0.2 * k, 0, inter, hidden);
      put(w, s, r, p + "mlp.down_proj.weight", 0.15 * k, 0, hidden, inter);
    }
    put(w, s, r, "model.norm.weight", 0.1, 1, hidden);
    if (qwen) {
      put(w, s, r, "lm_head.weight", 0.5, 0, vocab, hidden);
    }
    return c;
  }

  private static Map<String, Object> gpt2(
      Random r, Map<String, float[]> w, Map<String, long[]> s, boolean prefixed) {
    int hidden = 64;
    int heads = 4;
    int layers = 2;
    String t = prefixed ? "transformer." : "";
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("architectures", List.of("GPT2LMHeadModel"));
    c.put("model_type", "gpt2");
    c.put("vocab_size", VOCAB);
    c.put("n_embd", hidden);
    c.put("n_layer", layers);
    c.put("n_head", heads);
    c.put("n_positions", CONTEXT);
    c.put("n_ctx", CONTEXT);
    c.put("n_inner", null);
    c.put("activation_function", "gelu_new");
    c.put("layer_norm_epsilon", 1e-5);
    c.put("bos_token_id", specialId("<|endoftext|>"));
    c.put("eos_token_id", specialId("<|endoftext|>"));
    put(w, s, r, t + "wte.weight", 0.5, 0, VOCAB, hidden);
    put(w, s, r, t + "wpe.weight", 0.3, 0, CONTEXT, hidden);
    for (int i = 0; i < layers; i++) {
      String p = t + "h." + i + ".";
      put(w, s, r, p + "ln_1.weight", 0.1, 1, hidden);
      put(w, s, r, p + "ln_1.bias", 0.1, 0, hidden);
      // Conv1D: (in, out), the transpose of a linear layer's weight.
      put(w, s, r, p + "attn.c_attn.weight", 0.25, 0, hidden, 3 * hidden);
      put(w, s, r, p + "attn.c_attn.bias", 0.2, 0, 3 * hidden);
      put(w, s, r, p + "attn.c_proj.weight", 0.15, 0, hidden, hidden);
      put(w, s, r, p + "attn.c_proj.bias", 0.1, 0, hidden);
      put(w, s, r, p + "ln_2.weight", 0.1, 1, hidden);
      put(w, s, r, p + "ln_2.bias", 0.1, 0, hidden);
      put(w, s, r, p + "mlp.c_fc.weight", 0.2, 0, hidden, 4 * hidden);
      put(w, s, r, p + "mlp.c_fc.bias", 0.1, 0, 4 * hidden);
      put(w, s, r, p + "mlp.c_proj.weight", 0.1, 0, 4 * hidden, hidden);
      put(w, s, r, p + "mlp.c_proj.bias", 0.1, 0, hidden);
    }
    put(w, s, r, t + "ln_f.weight", 0.1, 1, hidden);
    put(w, s, r, t + "ln_f.bias", 0.1, 0, hidden);
    return c;
  }

  private static void put(
      Map<String, float[]> w,
      Map<String, long[]> s,
      Random r,
      String name,
      double std,
      double mean,
      long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] values = new float[(int) n];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (mean + std * r.nextGaussian());
    }
    w.put(name, values);
    s.put(name, shape);
  }

  private static void writeWeights(
      Path dir,
      Map<String, float[]> weights,
      Map<String, long[]> shapes,
      String dtype,
      boolean sharded)
      throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, float[]> e : weights.entrySet()) {
      long[] shape = shapes.get(e.getKey());
      tensors.put(
          e.getKey(),
          dtype.equals("BF16") ? bf16(e.getValue(), shape) : Tensor.ofFloats(e.getValue(), shape));
    }
    Map<String, String> meta = Map.of("format", "pt");
    if (!sharded) {
      Safetensors.write(dir.resolve("model.safetensors"), tensors, meta);
      return;
    }
    List<String> names = new ArrayList<>(tensors.keySet());
    int half = names.size() / 2;
    Map<String, String> weightMap = new TreeMap<>();
    long total = 0;
    for (int shard = 0; shard < 2; shard++) {
      String file = "model-0000" + (shard + 1) + "-of-00002.safetensors";
      Map<String, Tensor> part = new LinkedHashMap<>();
      for (String n : shard == 0 ? names.subList(0, half) : names.subList(half, names.size())) {
        part.put(n, tensors.get(n));
        weightMap.put(n, file);
        total += tensors.get(n).data().remaining();
      }
      Safetensors.write(dir.resolve(file), part, meta);
    }
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("metadata", Map.of("total_size", total));
    index.put("weight_map", weightMap);
    Files.write(dir.resolve("model.safetensors.index.json"), JSON.writeValueAsBytes(index));
  }

  /** Round-to-nearest-even bfloat16 of each value. */
  private static Tensor bf16(float[] values, long[] shape) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : values) {
      int bits = Float.floatToRawIntBits(f);
      int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
      buf.putShort((short) (rounded >>> 16));
    }
    buf.flip();
    return new Tensor("BF16", shape, buf);
  }

  private static Map<String, Object> tokenizer() {
    int[] byteToUnicode = byteToUnicode();
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (int b = 0; b < 256; b++) {
      vocab.put(new String(Character.toChars(byteToUnicode[b])), b);
    }
    for (String m : MERGES) {
      vocab.put(m.replace(" ", ""), vocab.size());
    }
    List<Map<String, Object>> added = new ArrayList<>();
    for (String sp : SPECIAL) {
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("id", specialId(sp));
      a.put("content", sp);
      a.put("single_word", false);
      a.put("lstrip", false);
      a.put("rstrip", false);
      a.put("normalized", false);
      a.put("special", true);
      added.add(a);
    }
    Map<String, Object> byteLevel = new LinkedHashMap<>();
    byteLevel.put("type", "ByteLevel");
    byteLevel.put("add_prefix_space", false);
    byteLevel.put("trim_offsets", true);
    byteLevel.put("use_regex", true);
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", null);
    model.put("continuing_subword_prefix", null);
    model.put("end_of_word_suffix", null);
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("vocab", vocab);
    model.put("merges", MERGES);
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("version", "1.0");
    t.put("truncation", null);
    t.put("padding", null);
    t.put("added_tokens", added);
    t.put("normalizer", null);
    t.put("pre_tokenizer", byteLevel);
    t.put("post_processor", byteLevel);
    t.put("decoder", byteLevel);
    t.put("model", model);
    return t;
  }

  /** GPT-2's byte-to-unicode table: printable Latin-1 bytes map to themselves. */
  static int[] byteToUnicode() {
    int[] out = new int[256];
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
      out[b] = printable ? b : 256 + n++;
    }
    return out;
  }
}
