package io.maaskit.model.arch.gpt2;

import com.google.gson.annotations.SerializedName;
import io.maaskit.model.pkg.PackageJson;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/** Hugging Face {@code config.json} of a {@code GPT2LMHeadModel}, mapped key by key. */
public record Gpt2Config(
    @SerializedName("model_type") String modelType,
    @SerializedName("architectures") List<String> architectures,
    @SerializedName("vocab_size") int vocabSize,
    @SerializedName("n_embd") int hiddenSize,
    @SerializedName("n_layer") int layers,
    @SerializedName("n_head") int heads,
    @SerializedName("n_inner") Integer inner,
    @SerializedName("n_positions") int positions,
    @SerializedName("activation_function") String activation,
    @SerializedName("layer_norm_epsilon") Double layerNormEpsilon,
    @SerializedName("scale_attn_weights") Boolean scaleAttnWeights,
    @SerializedName("scale_attn_by_inverse_layer_idx") Boolean scaleByLayer,
    @SerializedName("tie_word_embeddings") Boolean tieWordEmbeddings) {

  /** The {@code architectures} entries this package loads. */
  public static final Set<String> ARCHITECTURES = Set.of("GPT2LMHeadModel");

  private static final Set<String> ACTIVATIONS = Set.of("gelu_new", "gelu_pytorch_tanh");

  /** Parses and checks a config.json; refuses what the forward pass would get wrong. */
  public static Gpt2Config parse(byte[] json) throws IOException {
    Gpt2Config c = PackageJson.read(json, Gpt2Config.class);
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
