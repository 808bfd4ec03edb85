package io.maaskit.model.arch.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * What a {@link DecoderNetwork} needs from one forward pass, whatever runs it: the rows' positions,
 * the linear product, causal attention for each layer and which rows' logits to return. Serving
 * runs a {@link DecoderBatch} (new tokens of several sequences against their key/value caches);
 * explanations run {@link FullSequences} (whole sequences without a cache, differentiable).
 *
 * <p>Arrays made during the pass live in {@link #manager()}, closed when the pass ends.
 */
public interface DecoderPass {
  /** Where the pass's arrays live. */
  NDManager manager();

  /** Rows of the pass (all sequences' tokens in it). */
  int rows();

  /** Position (index in its sequence) of each row. */
  int[] positions();

  /** The rows' positions as an int64 array {@code (T)}. */
  default NDArray positionArray() {
    return manager().create(java.util.Arrays.stream(positions()).asLongStream().toArray());
  }

  /**
   * {@code x W^T} for a weight held as PyTorch stores it, {@code (out, in)} row-major: computed as
   * {@code (W x^T)^T}, the orientation in which the CPU BLAS streams the weight fastest for the few
   * rows a decode step has (measured on the SmolLM2-135M shape, 2 threads: 33 ms of products per
   * token at one row as a matrix-vector product, 65 ms at eight rows, against 39 and 87 ms for
   * {@code x @ W} with the weight stored {@code (in, out)}).
   *
   * @param x {@code (rows, in)}
   * @return {@code (rows, out)}
   */
  default NDArray linear(NDArray x, NDArray weight) {
    long rows = x.getShape().get(0);
    if (rows == 1) {
      // A matrix-vector product: the BLAS gemv path, ~15% faster than a one-column gemm.
      NDArray y = weight.matMul(x.reshape(x.getShape().get(1)));
      y.attach(manager()); // an op's result belongs to its receiver's manager: here, the weights'
      return y.reshape(1, weight.getShape().get(0));
    }
    NDArray y = weight.matMul(x.transpose());
    y.attach(manager());
    return y.transpose();
  }

  /**
   * Causal attention of layer {@code layer}: each query attends to its sequence's positions up to
   * its own.
   *
   * @param q queries {@code (T, heads, headSize)}, already scaled by {@code 1/sqrt(headSize)}
   * @param k keys {@code (T, kvHeads, headSize)}
   * @param v values {@code (T, kvHeads, headSize)}
   * @return the attention output {@code (T, heads * headSize)}
   */
  NDArray attend(int layer, NDArray q, NDArray k, NDArray v);

  /**
   * The rows of {@code hidden} {@code (T, width)} whose logits the pass returns: the last row of
   * each sequence when serving, every row when scoring whole sequences.
   */
  NDArray outputRows(NDArray hidden);
}
