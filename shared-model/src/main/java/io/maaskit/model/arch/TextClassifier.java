package io.maaskit.model.arch;

import java.util.List;

/** Capability {@code classifier}: token sequences to label probabilities. Thread-safe. */
public interface TextClassifier extends SequenceModel {
  /** Labels in head order. */
  List<String> labels();

  /** Softmax probabilities per sequence of one batch, in {@link #labels()} order. */
  float[][] classify(List<Tokens> batch);
}
