package io.maaskit.model.arch.bert;

import ai.djl.ndarray.NDArray;
import io.maaskit.model.engine.Weights;
import java.util.List;

/**
 * A per-token head in Hugging Face layout: {@code classifier.weight} (labels × hidden) of {@code
 * BertForTokenClassification}, or {@code qa_outputs.weight} (2 × hidden: start, end) of {@code
 * BertForQuestionAnswering}, applied to every token's final hidden state (no pooler).
 */
final class BertTokenHead {
  /** The tensor prefix of a token classifier's head. */
  static final String TOKEN_CLASSIFIER = "classifier";

  /** The tensor prefix of a question answerer's head. */
  static final String QUESTION_ANSWERER = "qa_outputs";

  private final NDArray weight;
  private final NDArray bias;
  private final List<String> columns;

  BertTokenHead(Weights w, String name, List<String> columns) {
    this.weight = w.get(name + ".weight");
    this.bias = w.get(name + ".bias");
    if (weight.getShape().get(0) != columns.size()) {
      throw new IllegalArgumentException(
          name
              + ".weight has "
              + weight.getShape().get(0)
              + " rows but the head needs "
              + columns.size()
              + " ("
              + columns
              + ")");
    }
    this.columns = List.copyOf(columns);
  }

  List<String> columns() {
    return columns;
  }

  /** (B, L, H) hidden states to (B, L, columns) logits. */
  NDArray logits(NDArray hidden) {
    return BertEncoder.linear(hidden, weight, bias);
  }
}
