package io.maaskit.model.task;

import java.util.List;

/**
 * A request for sentence embeddings, whatever protocol carried it.
 *
 * @param model model name (optionally {@code name@version}); null for the service's default
 * @param inputs the texts, at least one
 * @param normalize L2-normalize the vectors; null for what the package's manifest says
 * @param dimensions the width the caller expects; null for the model's own
 */
public record EmbedRequest(
    String model, List<String> inputs, Boolean normalize, Integer dimensions) {
  public EmbedRequest {
    inputs = inputs == null ? null : List.copyOf(inputs);
  }

  /** Texts with the default model and normalization. */
  public static EmbedRequest of(List<String> inputs) {
    return new EmbedRequest(null, inputs, null, null);
  }
}
