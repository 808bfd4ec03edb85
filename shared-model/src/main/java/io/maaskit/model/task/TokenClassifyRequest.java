package io.maaskit.model.task;

import java.util.List;

/**
 * A request to find the entities of texts, whatever protocol carried it.
 *
 * @param model model name (optionally {@code name@version}); null for the service's default
 * @param inputs texts, at least one
 * @param aggregation how tokens become entities
 * @param stride tokens each window of a long text shares with the next; null for the service's
 *     default (a quarter of the window)
 */
public record TokenClassifyRequest(
    String model, List<String> inputs, AggregationStrategy aggregation, Integer stride) {
  public TokenClassifyRequest {
    inputs = inputs == null ? null : List.copyOf(inputs);
    aggregation = aggregation == null ? AggregationStrategy.NONE : aggregation;
  }
}
