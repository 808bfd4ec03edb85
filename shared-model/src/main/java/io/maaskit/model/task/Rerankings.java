package io.maaskit.model.task;

import java.util.List;

/**
 * Texts ranked by relevance to a query, most relevant first.
 *
 * @param model the model name that served the request
 * @param ranked every text once, by {@link Ranked#score()} descending (ties in input order)
 * @param promptTokens tokens the model saw over all pairs, after truncation
 */
public record Rerankings(String model, List<Ranked> ranked, int promptTokens) {
  /**
   * One text's relevance.
   *
   * @param index the text's position in the request
   * @param logit the model's raw relevance logit
   * @param score {@code sigmoid(logit)}, in (0, 1)
   */
  public record Ranked(int index, float logit, float score) {}
}
