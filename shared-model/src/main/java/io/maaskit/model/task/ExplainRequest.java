package io.maaskit.model.task;

import java.util.List;

/**
 * A request to explain a classifier's decision on texts, whatever protocol carried it.
 *
 * @param model model name (optionally {@code name@version}); null for the service's default
 * @param inputs the texts, at least one
 * @param method the attribution method; null for the service's choice (Integrated Gradients where
 *     the model is served on an engine that computes gradients, occlusion otherwise)
 * @param label the label to explain; null for each input's predicted label
 * @param steps Integrated Gradients steps; null for the service's default
 * @param words whether token attributions are summed per word
 * @param similarity explain the cosine similarity of two texts under an embedding model (two
 *     inputs, Integrated Gradients only) instead of a classifier's label
 */
public record ExplainRequest(
    String model,
    List<String> inputs,
    ExplainMethod method,
    String label,
    Integer steps,
    boolean words,
    boolean similarity) {
  public ExplainRequest {
    inputs = inputs == null ? null : List.copyOf(inputs);
  }

  /** A classifier explanation. */
  public ExplainRequest(
      String model,
      List<String> inputs,
      ExplainMethod method,
      String label,
      Integer steps,
      boolean words) {
    this(model, inputs, method, label, steps, words, false);
  }
}
