package io.maaskit.model.arch;

import java.util.List;

/** A model that turns texts into fixed-size vectors (sentence embeddings). Thread-safe. */
public interface TextEncoder extends LoadedModel {
  /** Embedding width. */
  int dimension();

  /**
   * Embeds texts as one or more padded batches; inputs longer than the model's maximum are
   * truncated.
   *
   * @param normalize L2-normalize each vector
   */
  Encoded embed(List<String> texts, boolean normalize);

  /** Vectors in input order and the number of tokens the model saw (after truncation). */
  record Encoded(float[][] vectors, int promptTokens) {}
}
