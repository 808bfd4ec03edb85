package io.maaskit.model.arch.bert;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.annotations.SerializedName;
import io.maaskit.model.pkg.PackageJson;
import java.io.IOException;
import java.util.Map;

/**
 * Hugging Face {@code config.json} of a BERT-family encoder (BERT, MiniLM, BGE, E5), mapped key by
 * key. {@code id2label} is present for sequence-classification packages.
 */
public record BertConfig(
    @SerializedName("model_type") String modelType,
    @SerializedName("architectures") java.util.List<String> architectures,
    @SerializedName("vocab_size") int vocabSize,
    @SerializedName("hidden_size") int hiddenSize,
    @SerializedName("num_hidden_layers") int numHiddenLayers,
    @SerializedName("num_attention_heads") int numAttentionHeads,
    @SerializedName("intermediate_size") int intermediateSize,
    @SerializedName("hidden_act") String hiddenAct,
    @SerializedName("max_position_embeddings") int maxPositionEmbeddings,
    @SerializedName("type_vocab_size") int typeVocabSize,
    @SerializedName("layer_norm_eps") double layerNormEps,
    @SerializedName("id2label") Map<String, String> id2label,
    @SerializedName("pad_token_id") Integer padTokenId) {

  /** Parses and checks a BERT config.json. */
  public static BertConfig parse(byte[] json) throws IOException {
    return parse(json, EncoderTensors.BERT);
  }

  /**
   * Parses and checks the config.json of {@code family}'s encoder: the family's own key names
   * ({@link EncoderTensors#configKeys()}) are read as BERT's, and its {@code model_type} must be
   * one of the family's.
   */
  public static BertConfig parse(byte[] json, EncoderTensors family) throws IOException {
    JsonElement parsed = PackageJson.tree(json);
    if (!parsed.isJsonObject()) {
      throw new IOException("config.json is not a JSON object");
    }
    JsonObject tree = parsed.getAsJsonObject();
    family
        .configKeys()
        .forEach(
            (theirs, ours) -> {
              if (tree.has(theirs) && !tree.has(ours)) {
                tree.add(ours, tree.get(theirs));
              }
            });
    BertConfig c = PackageJson.read(tree, BertConfig.class);
    if (c.hiddenSize <= 0
        || c.numHiddenLayers <= 0
        || c.numAttentionHeads <= 0
        || c.vocabSize <= 0) {
      throw new IOException(
          "config.json lacks hidden_size/num_hidden_layers/num_attention_heads/vocab_size");
    }
    if (c.hiddenSize % c.numAttentionHeads != 0) {
      throw new IOException(
          "hidden_size "
              + c.hiddenSize
              + " is not divisible by num_attention_heads "
              + c.numAttentionHeads);
    }
    if (c.hiddenAct != null && !c.hiddenAct.equals("gelu")) {
      throw new IOException(
          "unsupported hidden_act '"
              + c.hiddenAct
              + "': only gelu (erf) BERT encoders are supported");
    }
    if (c.modelType != null && !family.modelTypes().contains(c.modelType)) {
      throw new IOException(
          "unsupported model_type '"
              + c.modelType
              + "': architecture '"
              + family.architecture()
              + "' handles "
              + new java.util.TreeSet<>(family.modelTypes()));
    }
    return c;
  }

  /** A plain encoder config (what the ONNX importer derives from tensor shapes). */
  public static BertConfig encoder(
      int vocab,
      int hidden,
      int layers,
      int heads,
      int intermediate,
      int maxPos,
      int typeVocab,
      double eps) {
    return new BertConfig(
        "bert",
        java.util.List.of("BertModel"),
        vocab,
        hidden,
        layers,
        heads,
        intermediate,
        "gelu",
        maxPos,
        typeVocab,
        eps,
        null,
        null);
  }

  /** Labels in id order, or empty. */
  public java.util.List<String> labels() {
    if (id2label == null) {
      return java.util.List.of();
    }
    String[] out = new String[id2label.size()];
    id2label.forEach((k, v) -> out[Integer.parseInt(k)] = v);
    return java.util.List.of(out);
  }

  /** Serialized as config.json. */
  public byte[] toJson() throws IOException {
    return PackageJson.pretty(this);
  }

  /** Size of one attention head. */
  public int headSize() {
    return hiddenSize / numAttentionHeads;
  }

  /** Default layer_norm_eps when a config omits it. */
  public double eps() {
    return layerNormEps > 0 ? layerNormEps : 1e-12;
  }
}
