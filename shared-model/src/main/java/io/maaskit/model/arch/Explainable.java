package io.maaskit.model.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * What explanation methods need from a sequence model, beyond serving: the tokens with their
 * character spans in the original text, the input (word) embeddings the gradient methods perturb, a
 * forward pass that starts from given input embeddings, and the attention probabilities of every
 * layer. The methods themselves (Integrated Gradients, gradient × input, attention rollout) live in
 * the task layer and never name an architecture.
 *
 * <p>"Input embeddings" are the token-embedding lookups only; the architecture adds its position
 * and segment embeddings (and normalisation) inside {@link #logitsFromEmbeddings}, so a baseline
 * changes what the tokens are, not where they stand.
 */
public interface Explainable extends SequenceModel, SpanTokenizer {
  /** The eager engine the model runs on; gradients come from it. */
  @Override
  io.maaskit.model.engine.EagerEngine engine();

  /**
   * One text tokenized (truncated like {@link #tokenize}) with, per token, its surface form, its
   * character span {@code [start, end)} in the original text, its word index and whether it is a
   * special token (spans of special tokens are empty).
   */
  record Spans(
      Tokens tokens, String[] pieces, int[] starts, int[] ends, int[] words, boolean[] special) {
    /** Number of tokens. */
    public int length() {
      return tokens.length();
    }
  }

  /** Token id of the padding token, the usual reference input for attribution baselines. */
  long padId();

  /** Input embeddings of one sequence: (1, L, H) in {@code manager}, compute dtype. */
  NDArray inputEmbeddings(long[] ids, NDManager manager);

  /**
   * Classifier logits (B, labels) from input embeddings (B, L, H) of B variants of the same
   * sequence (same length, segments and attention mask: all ones). Differentiable: run it with grad
   * mode on to get gradients on {@code embeddings}.
   *
   * @throws IllegalStateException if the model has no classification head
   */
  NDArray logitsFromEmbeddings(NDArray embeddings, Tokens tokens);

  /**
   * Pooled sentence embeddings (B, H), before any normalisation, from input embeddings (B, L, H);
   * differentiable like {@link #logitsFromEmbeddings}.
   */
  NDArray pooledFromEmbeddings(NDArray embeddings, Tokens tokens);

  /**
   * Attention probabilities of one sequence: (layers, heads, L, L) float32 in {@code manager}, row
   * {@code i} of a head being where query token {@code i} attends.
   */
  NDArray attentions(Tokens tokens, NDManager manager);
}
