package io.maaskit.model.pkg;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a package can do, as its manifest declares it ({@code "capabilities": ["encoder",
 * "classifier"]}). Services and the registry speak capabilities; architectures declare which they
 * provide; neither needs to know the other's concrete types.
 */
public enum Capability {
  /** Texts to fixed-size vectors (sentence embeddings). */
  ENCODER("encoder"),
  /** Texts to label probabilities. */
  CLASSIFIER("classifier"),
  /**
   * (query, document) pairs to one relevance score: a cross-encoder, a sequence-classification head
   * with a single logit ({@link io.maaskit.model.arch.TextScorer}).
   */
  RERANKER("reranker"),
  /**
   * Texts to one label distribution per token: named entities and other tags (a {@code
   * *ForTokenClassification} head, {@link io.maaskit.model.arch.TokenLogits}).
   */
  TOKEN_CLASSIFIER("token-classifier"),
  /**
   * (question, context) pairs to an answer span of the context: extractive question answering (a
   * {@code *ForQuestionAnswering} head with start and end logits, {@link
   * io.maaskit.model.arch.TokenLogits}).
   */
  QUESTION_ANSWERER("question-answerer"),
  /** Text continuation (decoders: {@link io.maaskit.model.arch.TextGenerator}). */
  GENERATOR("generator");

  private final String key;

  Capability(String key) {
    this.key = key;
  }

  /** The manifest key. */
  public String key() {
    return key;
  }

  /** The capability of a manifest key. */
  public static Capability of(String key) {
    for (Capability c : values()) {
      if (c.key.equals(key == null ? null : key.toLowerCase(Locale.ROOT))) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown capability '"
            + key
            + "', expected one of "
            + Arrays.stream(values()).map(Capability::key).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return key;
  }
}
