package io.maaskit.model.arch.decoder;

import ai.djl.ndarray.NDArray;

/**
 * An architecture's decoder stack with its weights in engine memory: embeddings, layers, final norm
 * and LM head. The shared runtime ({@link DecoderGenerator}) owns caches, batching and attention;
 * the network calls {@link DecoderBatch#attend} once per layer.
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
   * Runs every row of {@code batch} through the stack and returns the logits, {@code (sequences,
   * vocab)}, of each sequence's last row.
   */
  NDArray logits(DecoderBatch batch);
}
