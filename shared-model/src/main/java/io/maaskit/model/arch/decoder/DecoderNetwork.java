package io.maaskit.model.arch.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * An architecture's decoder stack with its weights in engine memory: embeddings, layers, final norm
 * and LM head. The shared runtime ({@link DecoderGenerator}) owns caches, batching and attention;
 * the network calls {@link DecoderPass#attend} once per layer.
 */
public interface DecoderNetwork {
  /** Transformer layers (one key/value buffer pair each). */
  int layers();

  /** Key/value heads per layer. */
  int kvHeads();

  /** Query heads per layer (a multiple of {@link #kvHeads()}). */
  int heads();

  /** Width of one head. */
  int headSize();

  /** Rows of the logits. */
  int vocabSize();

  /** Most positions a sequence may use. */
  int contextLength();

  /** Bytes of weights in engine memory. */
  long weightBytes();

  /**
   * Token embeddings {@code (T, hidden)} of {@code ids} {@code (T)} int64, in {@code manager}: the
   * lookup only (position embeddings are added inside {@link #logits}).
   */
  NDArray embed(NDArray ids, NDManager manager);

  /**
   * Runs every row of {@code pass}, given as its token embeddings {@code inputs} {@code (T,
   * hidden)}, through the stack and returns the logits {@code (rows, vocab)} of the rows {@link
   * DecoderPass#outputRows} picks. Differentiable in {@code inputs} on an engine that computes
   * gradients.
   */
  NDArray logits(DecoderPass pass, NDArray inputs);
}
