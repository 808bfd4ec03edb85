package io.maaskit.model.arch.bert;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hugging Face {@code config.json} of a BERT-family encoder (BERT, MiniLM, BGE, E5), mapped key by
 * key. {@code id2label} is present for sequence-classification packages.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BertConfig(
    @JsonProperty("model_type") String modelType,
    @JsonProperty("architectures") java.util.List<String> architectures,
    @JsonProperty("vocab_size") int vocabSize,
    @JsonProperty("hidden_size") int hiddenSize,
    @JsonProperty("num_hidden_layers") int numHiddenLayers,
    @JsonProperty("num_attention_heads") int numAttentionHeads,
    @JsonProperty("intermediate_size") int intermediateSize,
    @JsonProperty("hidden_act") String hiddenAct,
    @JsonProperty("max_position_embeddings") int maxPositionEmbeddings,
    @JsonProperty("type_vocab_size") int typeVocabSize,
    @JsonProperty("layer_norm_eps") double layerNormEps,
    @JsonProperty("id2label") Map<String, String> id2label) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Parses and checks a config.json. */
  public static BertConfig parse(byte[] json) throws IOException {
    BertConfig c = JSON.readValue(json, BertConfig.class);
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
    if (c.modelType != null && !c.modelType.equals("bert")) {
      throw new IOException(
          "unsupported model_type '" + c.modelType + "': this architecture handles 'bert'");
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
        null);
  }

  /** This config with a classification head's labels. */
  public BertConfig withLabels(java.util.List<String> labels) {
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i < labels.size(); i++) {
      m.put(Integer.toString(i), labels.get(i));
    }
    return new BertConfig(
        modelType,
        java.util.List.of("BertForSequenceClassification"),
        vocabSize,
        hiddenSize,
        numHiddenLayers,
        numAttentionHeads,
        intermediateSize,
        hiddenAct,
        maxPositionEmbeddings,
        typeVocabSize,
        layerNormEps,
        m);
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
    return JSON.writeValueAsBytes(this);
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
