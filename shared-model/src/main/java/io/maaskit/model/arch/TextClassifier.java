package io.maaskit.model.arch;

import java.util.List;

/** A model that assigns label probabilities to texts. Thread-safe. */
public interface TextClassifier extends LoadedModel {
  /** Labels in head order. */
  List<String> labels();

  /** Softmax probabilities per input, in {@link #labels()} order. */
  float[][] classify(List<String> texts);
}
