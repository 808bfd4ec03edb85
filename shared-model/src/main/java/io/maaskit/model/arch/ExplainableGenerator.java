package io.maaskit.model.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.maaskit.model.engine.EagerEngine;

/**
 * What explanations of generated text need from a generator on an engine that computes gradients:
 * the input (token) embeddings of a sequence and a forward pass over whole sequences that starts
 * from given input embeddings and returns the logits of every position. The methods (Integrated
 * Gradients over the prompt's embeddings) live in the task layer and never name an architecture.
 *
 * <p>As for {@link Explainable}, "input embeddings" are the token-embedding lookups only; position
 * embeddings (GPT-2) or rotary angles (Llama) are applied inside {@link #logitsFromEmbeddings}, so
 * a baseline changes what the tokens are, not where they stand.
 */
public interface ExplainableGenerator extends TextGenerator {
  /** The eager engine the model runs on; gradients come from it. */
  @Override
  EagerEngine engine();

  /** Input embeddings of one sequence: {@code (1, L, H)} in {@code manager}, compute dtype. */
  NDArray inputEmbeddings(int[] ids, NDManager manager);

  /**
   * Logits {@code (B, L, vocab)} of every position of B sequences of one length given as input
   * embeddings {@code (B, L, H)}, each position seeing only the positions up to its own; no
   * key/value cache is read or written. Differentiable: run it with grad mode on to get gradients
   * on {@code embeddings}. Arrays it makes live in {@code embeddings}' manager.
   */
  NDArray logitsFromEmbeddings(NDArray embeddings);

  /**
   * Elements of activations one differentiable pass over {@code batch} sequences of {@code length}
   * tokens keeps for its backward pass (an estimate, to cut paths into batches under a budget).
   */
  long activationElements(int batch, int length);
}
