package io.maaskit.model.arch;

import java.util.List;

/** Capability {@code encoder}: token sequences to fixed-size vectors. Thread-safe. */
public interface TextEncoder extends SequenceModel {
  /** Embedding width. */
  int dimension();

  /**
   * Runs one batch (padded to its longest sequence by the model) and pools each sequence.
   *
   * @param pooling how token states become one vector
   * @param normalize L2-normalize each vector
   * @return one vector per sequence, in order
   */
  float[][] encode(List<Tokens> batch, Pooling pooling, boolean normalize);
}
