package io.maaskit.model.arch;

import java.util.List;

/**
 * A loaded model that reads token sequences: the part of encoders and classifiers that the task
 * layer's batching needs (tokenizing, the length limit, the memory a padded batch costs).
 */
public interface SequenceModel extends LoadedModel {
  /** Tokenizes one text, truncated to {@link #maxLength()} tokens. */
  Tokens tokenize(String text);

  /** Tokenizes texts in order. */
  default List<Tokens> tokenizeAll(List<String> texts) {
    return texts.stream().map(this::tokenize).toList();
  }

  /** Most tokens per input. */
  int maxLength();

  /**
   * Elements of the largest intermediate a padded batch allocates (attention scores for a
   * Transformer encoder); the batcher keeps each sub-batch under a budget of these.
   */
  long activationElements(int batch, int length);
}
