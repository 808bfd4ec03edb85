package io.maaskit.model.arch;

import java.util.List;

/**
 * Capability {@code reranker}: a cross-encoder that reads a (query, document) pair as one sequence
 * ({@code [CLS] query [SEP] document [SEP]}, token types 0 then 1) and gives it one relevance
 * logit. Thread-safe.
 */
public interface TextScorer extends SequenceModel {
  /**
   * A pair's tokens, truncated longest-first (as Hugging Face tokenizers' {@code longest_first}
   * does) to {@link #maxLength()}.
   *
   * @param tokens what the model reads
   * @param truncated whether the whole pair was longer than {@link #maxLength()} and was cut
   */
  record Pair(Tokens tokens, boolean truncated) {}

  /** Tokenizes {@code query} and {@code document} as one pair; work is bounded by the limit. */
  Pair tokenizePair(String query, String document);

  /** One raw relevance logit per pair of one batch (rows of width 1). */
  float[][] score(List<Tokens> batch);
}
