package io.maaskit.model.task;

import java.util.List;

/**
 * A request to classify texts, whatever protocol carried it.
 *
 * @param model model name (optionally {@code name@version}); null for the service's default
 * @param inputs the texts, at least one
 */
public record ClassifyRequest(String model, List<String> inputs) {
  public ClassifyRequest {
    inputs = inputs == null ? null : List.copyOf(inputs);
  }
}
