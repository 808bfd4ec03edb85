package io.maaskit.model.arch.bert;

import io.maaskit.model.arch.TensorLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The table of one BERT-family architecture: its {@code config.json} key names, the Hugging Face
 * names of its tensors by role, and the few ways its maths departs from BERT's (position offset,
 * token types, the head's hidden layer and activation). The eager network ({@code BertEncoder},
 * {@code BertHead}), the ONNX graph compiler, the tensor layout (quantizer, importer) and the
 * trainer's write-back all read names from here, so BERT, RoBERTa/XLM-RoBERTa and DistilBERT share
 * one implementation of the maths.
 *
 * <p>Names are relative to the base model's {@link #prefix} ({@code bert.}, {@code roberta.},
 * {@code distilbert.}), which a checkpoint of a bare base model omits; head names are absolute.
 *
 * @param architecture the manifest's {@code architecture} key
 * @param modelTypes Hugging Face {@code model_type} values of this table
 * @param configKeys the config keys this family spells otherwise, to BERT's ({@code dim} to {@code
 *     hidden_size} for DistilBERT); read by {@link BertConfig#parse(byte[], EncoderTensors)}
 * @param prefix the base model's tensor prefix in a task checkpoint, e.g. {@code roberta.}
 * @param embeddings prefix of the embedding tensors, e.g. {@code embeddings.}
 * @param tokenTypes whether token-type ids select rows of {@code token_type_embeddings} (BERT);
 *     false where the table has a single row every token adds (RoBERTa, whose tokenizer gives no
 *     type ids) or there is none at all (DistilBERT, {@link #typeTable} false)
 * @param typeTable whether the checkpoint has a {@code token_type_embeddings} table
 * @param positionsAfterPadding whether position ids start after the padding index ({@code
 *     pad_token_id + 1}, RoBERTa's {@code create_position_ids_from_input_ids} for right-padded
 *     input), not at 0
 * @param layers prefix of layer {@code i}'s tensors before {@code i}, e.g. {@code encoder.layer.}
 * @param layer the names of one layer's modules
 * @param headHidden the layers (absolute names) a head may put between [CLS] and its output
 *     projection, first present wins: BERT's pooler ({@code bert.pooler.dense}), RoBERTa's {@code
 *     classifier.dense}, DistilBERT's {@code pre_classifier}
 * @param headActivation the activation after {@link #headHidden}: {@code tanh} or {@code relu}
 * @param headOutput the head's output projections, first present wins ({@code classifier.out_proj}
 *     of RoBERTa, then {@code classifier}, the name of heads this kit trains)
 * @param headTensors prefixes of every head tensor (what a fine-tune replaces)
 */
public record EncoderTensors(
    String architecture,
    Set<String> modelTypes,
    Map<String, String> configKeys,
    String prefix,
    String embeddings,
    boolean tokenTypes,
    boolean typeTable,
    boolean positionsAfterPadding,
    String layers,
    Layer layer,
    List<String> headHidden,
    String headActivation,
    List<String> headOutput,
    List<String> headTensors) {

  /**
   * The modules of one layer, relative to it.
   *
   * @param query the query projection
   * @param key the key projection
   * @param value the value projection
   * @param attentionOutput the attention output projection
   * @param attentionNorm the LayerNorm after attention
   * @param intermediate the feed-forward's first projection
   * @param output the feed-forward's second projection
   * @param outputNorm the LayerNorm after the feed-forward
   */
  public record Layer(
      String query,
      String key,
      String value,
      String attentionOutput,
      String attentionNorm,
      String intermediate,
      String output,
      String outputNorm) {
    /** {@code modeling_bert}'s names, which RoBERTa and XLM-RoBERTa share. */
    public static final Layer BERT =
        new Layer(
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
            "attention.output.LayerNorm",
            "intermediate.dense",
            "output.dense",
            "output.LayerNorm");

    /** In the order of {@link EncoderTensors#layerTensors()}. */
    List<String> all() {
      return List.of(
          query, key, value, attentionOutput, attentionNorm, intermediate, output, outputNorm);
    }
  }

  /** BERT, MiniLM, BGE, E5: Hugging Face's {@code modeling_bert}. */
  public static final EncoderTensors BERT =
      new EncoderTensors(
          "bert",
          Set.of("bert"),
          Map.of(),
          "bert.",
          "embeddings.",
          true,
          true,
          false,
          "encoder.layer.",
          Layer.BERT,
          List.of("bert.pooler.dense", "pooler.dense"),
          "tanh",
          List.of("classifier"),
          List.of("bert.pooler.", "pooler.", "classifier."));

  /** The {@code LayerNorm} of the embeddings (within {@link #embeddings}). */
  public static final String EMBEDDING_NORM = "LayerNorm";

  /** The query projection within a layer. */
  public String query() {
    return layer.query();
  }

  /** The key projection. */
  public String key() {
    return layer.key();
  }

  /** The value projection. */
  public String value() {
    return layer.value();
  }

  /** The attention output projection. */
  public String attentionOutput() {
    return layer.attentionOutput();
  }

  /** The LayerNorm after attention. */
  public String attentionNorm() {
    return layer.attentionNorm();
  }

  /** The feed-forward's first projection. */
  public String intermediate() {
    return layer.intermediate();
  }

  /** The feed-forward's second projection. */
  public String output() {
    return layer.output();
  }

  /** The LayerNorm after the feed-forward. */
  public String outputNorm() {
    return layer.outputNorm();
  }

  /** Weight names of the embedding tables and layers; {@code .weight}/{@code .bias} appended. */
  public String wordEmbeddings() {
    return embeddings + "word_embeddings.weight";
  }

  /** The position table. */
  public String positionEmbeddings() {
    return embeddings + "position_embeddings.weight";
  }

  /** The token-type table (present where {@link #typeTable}). */
  public String typeEmbeddings() {
    return embeddings + "token_type_embeddings.weight";
  }

  /** The embeddings' LayerNorm. */
  public String embeddingNorm() {
    return embeddings + EMBEDDING_NORM;
  }

  /** The linear layers of one layer, in BERT's order (q, k, v, attention out, ffn in, ffn out). */
  public List<String> linears() {
    return List.of(query(), key(), value(), attentionOutput(), intermediate(), output());
  }

  /** Every tensor of one layer (weights and biases of its linears and norms), layer-relative. */
  public List<String> layerTensors() {
    List<String> out = new java.util.ArrayList<>();
    for (String n : layer.all()) {
      out.add(n + ".weight");
      out.add(n + ".bias");
    }
    return out;
  }

  /** {@link #prefix} where the checkpoint's tensors carry it, else empty. */
  public String prefixIn(Predicate<String> has) {
    return has.test(prefix + wordEmbeddings()) ? prefix : "";
  }

  /** The first of {@code names} whose {@code .weight} is present, or null. */
  public static String firstPresent(List<String> names, Predicate<String> has) {
    for (String n : names) {
      if (has.test(n + ".weight")) {
        return n;
      }
    }
    return null;
  }

  /** Whether {@code name} is a head tensor a fine-tune replaces. */
  public boolean isHead(String name) {
    return headTensors.stream().anyMatch(name::startsWith);
  }

  /**
   * The first position id: {@code pad_token_id + 1} for RoBERTa-style positions ({@code
   * pad_token_id} defaulting to 1 as in RoBERTa's config), else 0.
   */
  public int positionOffset(BertConfig config) {
    if (!positionsAfterPadding) {
      return 0;
    }
    return (config.padTokenId() == null ? 1 : config.padTokenId()) + 1;
  }

  /**
   * Every tensor the encoder needs (names as stored, under the checkpoint's prefix {@code p}) with
   * its role: embedding tables, linear weights, and the rest (biases, norms) as {@code OTHER}.
   */
  public TensorLayout layout(String p, int numLayers) {
    Map<String, TensorLayout.Role> roles = new LinkedHashMap<>();
    roles.put(p + wordEmbeddings(), TensorLayout.Role.EMBEDDING_TABLE);
    roles.put(p + positionEmbeddings(), TensorLayout.Role.EMBEDDING_TABLE);
    if (typeTable) {
      roles.put(p + typeEmbeddings(), TensorLayout.Role.EMBEDDING_TABLE);
    }
    roles.put(p + embeddingNorm() + ".weight", TensorLayout.Role.OTHER);
    roles.put(p + embeddingNorm() + ".bias", TensorLayout.Role.OTHER);
    Set<String> linear = Set.copyOf(linears());
    for (int i = 0; i < numLayers; i++) {
      for (String t : layerTensors()) {
        String module = t.substring(0, t.lastIndexOf('.'));
        boolean weight = t.endsWith(".weight") && linear.contains(module);
        roles.put(
            p + layers + i + "." + t,
            weight ? TensorLayout.Role.LINEAR_WEIGHT : TensorLayout.Role.OTHER);
      }
    }
    return new TensorLayout(Map.copyOf(roles));
  }
}
