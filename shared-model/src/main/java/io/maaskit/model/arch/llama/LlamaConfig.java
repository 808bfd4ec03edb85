package io.maaskit.model.arch.llama;

import com.google.gson.annotations.SerializedName;
import io.maaskit.model.pkg.PackageJson;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hugging Face {@code config.json} of a Llama-family decoder ({@code LlamaForCausalLM}, {@code
 * MistralForCausalLM}, {@code Qwen2ForCausalLM}), mapped key by key. Qwen2 is Llama with biases on
 * the query, key and value projections; Mistral is Llama with a sliding attention window (which
 * bounds the context here instead of being emulated).
 */
public record LlamaConfig(
    @SerializedName("model_type") String modelType,
    @SerializedName("architectures") List<String> architectures,
    @SerializedName("vocab_size") int vocabSize,
    @SerializedName("hidden_size") int hiddenSize,
    @SerializedName("intermediate_size") int intermediateSize,
    @SerializedName("num_hidden_layers") int numHiddenLayers,
    @SerializedName("num_attention_heads") int numAttentionHeads,
    @SerializedName("num_key_value_heads") Integer numKeyValueHeads,
    @SerializedName("head_dim") Integer headDim,
    @SerializedName("hidden_act") String hiddenAct,
    @SerializedName("max_position_embeddings") int maxPositionEmbeddings,
    @SerializedName("rms_norm_eps") double rmsNormEps,
    @SerializedName("rope_theta") Double ropeTheta,
    @SerializedName("rope_scaling") Map<String, Object> ropeScaling,
    @SerializedName("tie_word_embeddings") Boolean tieWordEmbeddings,
    @SerializedName("attention_bias") Boolean attentionBias,
    @SerializedName("mlp_bias") Boolean mlpBias,
    @SerializedName("sliding_window") Integer slidingWindow,
    @SerializedName("use_sliding_window") Boolean useSlidingWindow) {

  /** The {@code architectures} entries this package loads. */
  public static final Set<String> ARCHITECTURES =
      Set.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM");

  /** Parses and checks a config.json; refuses what the forward pass would get wrong. */
  public static LlamaConfig parse(byte[] json) throws IOException {
    LlamaConfig c = PackageJson.read(json, LlamaConfig.class);
    if (c.architectures != null) {
      for (String a : c.architectures) {
        if (!ARCHITECTURES.contains(a)) {
          throw new IOException(
              "unsupported architecture '"
                  + a
                  + "' in config.json; the llama family loads "
                  + String.join(", ", new java.util.TreeSet<>(ARCHITECTURES)));
        }
      }
    }
    if (c.hiddenSize <= 0
        || c.numHiddenLayers <= 0
        || c.numAttentionHeads <= 0
        || c.vocabSize <= 0
        || c.intermediateSize <= 0) {
      throw new IOException(
          "config.json lacks hidden_size/intermediate_size/num_hidden_layers/"
              + "num_attention_heads/vocab_size");
    }
    if (c.numAttentionHeads % c.kvHeads() != 0) {
      throw new IOException(
          "num_attention_heads "
              + c.numAttentionHeads
              + " is not a multiple of num_key_value_heads "
              + c.kvHeads());
    }
    if (c.headDim == null && c.hiddenSize % c.numAttentionHeads != 0) {
      throw new IOException("hidden_size is not divisible by num_attention_heads");
    }
    if (c.headSize() % 2 != 0) {
      throw new IOException("head size " + c.headSize() + " is odd; rotary embeddings need pairs");
    }
    if (c.hiddenAct != null && !c.hiddenAct.equals("silu")) {
      throw new IOException("unsupported hidden_act '" + c.hiddenAct + "': only silu is supported");
    }
    if (Boolean.TRUE.equals(c.mlpBias)) {
      throw new IOException("mlp_bias=true is not supported");
    }
    String rope = c.ropeType();
    if (!rope.equals("default") && !rope.equals("llama3")) {
      throw new IOException(
          "unsupported rope_scaling type '" + rope + "': only default and llama3 are supported");
    }
    return c;
  }

  /** {@code rms_norm_eps}, 1e-6 (Llama's default) when the config omits it. */
  public double eps() {
    return rmsNormEps > 0 ? rmsNormEps : 1e-6;
  }

  /** Key/value heads (grouped-query attention); equals the query heads when the config omits it. */
  public int kvHeads() {
    return numKeyValueHeads == null || numKeyValueHeads <= 0 ? numAttentionHeads : numKeyValueHeads;
  }

  /** Width of one attention head. */
  public int headSize() {
    return headDim != null && headDim > 0 ? headDim : hiddenSize / numAttentionHeads;
  }

  /** Whether q/k/v projections carry biases (always for Qwen2). */
  public boolean qkvBias() {
    return "qwen2".equals(modelType) || Boolean.TRUE.equals(attentionBias);
  }

  /** Whether the output projection carries a bias (Llama's {@code attention_bias}). */
  public boolean outputBias() {
    return !"qwen2".equals(modelType) && Boolean.TRUE.equals(attentionBias);
  }

  /** Whether the LM head is the embedding table (Llama default: not tied). */
  public boolean tied() {
    return Boolean.TRUE.equals(tieWordEmbeddings);
  }

  /** Base of the rotary frequencies. */
  public double theta() {
    return ropeTheta == null ? 10000.0 : ropeTheta;
  }

  /** {@code rope_scaling.rope_type} (or {@code type}), {@code default} when absent. */
  public String ropeType() {
    if (ropeScaling == null) {
      return "default";
    }
    Object t = ropeScaling.getOrDefault("rope_type", ropeScaling.get("type"));
    return t == null ? "default" : t.toString();
  }

  /**
   * Most positions a sequence may use: {@code max_position_embeddings}, and for Mistral/Qwen2 with
   * a sliding window no more than the window (beyond it the model would attend differently).
   */
  public int contextLength() {
    boolean windowed =
        slidingWindow != null
            && slidingWindow > 0
            && ("mistral".equals(modelType) || Boolean.TRUE.equals(useSlidingWindow));
    return windowed ? Math.min(maxPositionEmbeddings, slidingWindow) : maxPositionEmbeddings;
  }

  /**
   * Rotary inverse frequencies {@code theta^(-2i/d)}, adjusted by Llama 3's frequency-dependent
   * scaling when {@code rope_scaling.rope_type} is {@code llama3}.
   */
  public double[] inverseFrequencies() {
    int d = headSize();
    double[] inv = new double[d / 2];
    for (int i = 0; i < inv.length; i++) {
      inv[i] = 1.0 / Math.pow(theta(), (2.0 * i) / d);
    }
    if (ropeType().equals("llama3")) {
      double factor = number("factor", 8.0);
      double low = number("low_freq_factor", 1.0);
      double high = number("high_freq_factor", 4.0);
      double old = number("original_max_position_embeddings", 8192.0);
      double lowWavelen = old / low;
      double highWavelen = old / high;
      for (int i = 0; i < inv.length; i++) {
        double wavelen = 2 * Math.PI / inv[i];
        if (wavelen > lowWavelen) {
          inv[i] = inv[i] / factor;
        } else if (wavelen >= highWavelen) {
          double smooth = (old / wavelen - low) / (high - low);
          inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
        }
      }
    }
    return inv;
  }

  private double number(String key, double fallback) {
    Object v = ropeScaling.get(key);
    return v instanceof Number n ? n.doubleValue() : fallback;
  }
}
