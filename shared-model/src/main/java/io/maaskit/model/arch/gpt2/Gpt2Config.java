package io.maaskit.model.arch.gpt2;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/** Hugging Face {@code config.json} of a {@code GPT2LMHeadModel}, mapped key by key. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Gpt2Config(
    @JsonProperty("model_type") String modelType,
    @JsonProperty("architectures") List<String> architectures,
    @JsonProperty("vocab_size") int vocabSize,
    @JsonProperty("n_embd") int hiddenSize,
    @JsonProperty("n_layer") int layers,
    @JsonProperty("n_head") int heads,
    @JsonProperty("n_inner") Integer inner,
    @JsonProperty("n_positions") int positions,
    @JsonProperty("activation_function") String activation,
    @JsonProperty("layer_norm_epsilon") Double layerNormEpsilon,
    @JsonProperty("scale_attn_weights") Boolean scaleAttnWeights,
    @JsonProperty("scale_attn_by_inverse_layer_idx") Boolean scaleByLayer,
    @JsonProperty("tie_word_embeddings") Boolean tieWordEmbeddings) {

  /** The {@code architectures} entries this package loads. */
  public static final Set<String> ARCHITECTURES = Set.of("GPT2LMHeadModel");

  private static final Set<String> ACTIVATIONS = Set.of("gelu_new", "gelu_pytorch_tanh");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Parses and checks a config.json; refuses what the forward pass would get wrong. */
  public static Gpt2Config parse(byte[] json) throws IOException {
    Gpt2Config c = JSON.readValue(json, Gpt2Config.class);
    if (c.architectures != null) {
      for (String a : c.architectures) {
        if (!ARCHITECTURES.contains(a)) {
          throw new IOException(
              "unsupported architecture '" + a + "' in config.json; gpt2 loads GPT2LMHeadModel");
        }
      }
    }
    if (c.hiddenSize <= 0
        || c.layers <= 0
        || c.heads <= 0
        || c.vocabSize <= 0
        || c.positions <= 0) {
      throw new IOException("config.json lacks n_embd/n_layer/n_head/n_positions/vocab_size");
    }
    if (c.hiddenSize % c.heads != 0) {
      throw new IOException("n_embd is not divisible by n_head");
    }
    if (c.activation != null && !ACTIVATIONS.contains(c.activation)) {
      throw new IOException(
          "unsupported activation_function '" + c.activation + "': only gelu_new is supported");
    }
    if (Boolean.FALSE.equals(c.scaleAttnWeights) || Boolean.TRUE.equals(c.scaleByLayer)) {
      throw new IOException(
          "only scale_attn_weights=true and scale_attn_by_inverse_layer_idx=false are supported");
    }
    return c;
  }

  /** Width of the MLP ({@code n_inner}, default 4 × {@code n_embd}). */
  public int innerSize() {
    return inner == null || inner <= 0 ? 4 * hiddenSize : inner;
  }

  /** Width of one head. */
  public int headSize() {
    return hiddenSize / heads;
  }

  /** {@code layer_norm_epsilon}, 1e-5 by default. */
  public double eps() {
    return layerNormEpsilon == null ? 1e-5 : layerNormEpsilon;
  }

  /** GPT-2 ties its head to {@code wte} unless the config says otherwise. */
  public boolean tied() {
    return !Boolean.FALSE.equals(tieWordEmbeddings);
  }
}
