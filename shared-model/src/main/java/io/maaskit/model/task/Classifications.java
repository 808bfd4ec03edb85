package io.maaskit.model.task;

import java.util.List;

/**
 * Per input, every label with its probability, highest first.
 *
 * @param model the model name that served the request
 * @param predictions one list per input
 * @param promptTokens tokens the model saw, after truncation
 */
public record Classifications(String model, List<List<LabelScore>> predictions, int promptTokens) {
  /** One label and its probability. */
  public record LabelScore(String label, float score) {}
}
