package io.maaskit.model.arch.roberta;

import io.maaskit.model.arch.bert.BertArchitecture;
import io.maaskit.model.arch.bert.EncoderTensors;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Registers the {@code roberta} architecture: RoBERTa and XLM-RoBERTa encoders ({@code model_type}
 * {@code roberta}, {@code xlm-roberta}), as embedding models, classifiers and cross-encoders
 * ({@code *ForSequenceClassification}, whose head is {@code classifier.dense} + tanh + {@code
 * classifier.out_proj} over {@code <s>}). The maths is BERT's (see {@link EncoderTensors}) with two
 * differences: position ids start at {@code pad_token_id + 1}, and the single-row token-type table
 * is added to every token whatever type ids the tokenizer gives (RoBERTa's tokenizers give none).
 * The tokenizer is the package's {@code tokenizer.json} (byte-level BPE for RoBERTa, SentencePiece
 * Unigram for XLM-RoBERTa) through DJL's Hugging Face tokenizers.
 */
public final class RobertaArchitecture extends BertArchitecture {
  /** The table: BERT's layer names under {@code roberta.}, RoBERTa's positions and head. */
  public static final EncoderTensors TENSORS =
      new EncoderTensors(
          "roberta",
          Set.of("roberta", "xlm-roberta"),
          Map.of(),
          "roberta.",
          "embeddings.",
          false,
          true,
          true,
          "encoder.layer.",
          EncoderTensors.Layer.BERT,
          List.of("classifier.dense"),
          "tanh",
          List.of("classifier.out_proj", "classifier"),
          List.of("roberta.pooler.", "pooler.", "classifier."));

  /** Registered through {@code META-INF/services}. */
  public RobertaArchitecture() {
    super(TENSORS);
  }
}
