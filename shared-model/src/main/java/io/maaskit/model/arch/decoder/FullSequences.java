package io.maaskit.model.arch.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * A pass over whole sequences without a key/value cache: {@code B} sequences of one length {@code
 * L} stacked as {@code B * L} rows, each attending causally to its own earlier rows, the logits of
 * every row returned. Nothing is written outside the pass, so it is differentiable end to end;
 * explanations of generated text run it along their interpolation paths.
 */
final class FullSequences implements DecoderPass {
  private final NDManager manager;
  private final int sequences;
  private final int length;
  private final int heads;
  private final int kvHeads;
  private final int headSize;
  private final DataType dtype;
  private NDArray causalMask;

  FullSequences(
      NDManager manager,
      int sequences,
      int length,
      int heads,
      int kvHeads,
      int headSize,
      DataType dtype) {
    this.manager = manager;
    this.sequences = sequences;
    this.length = length;
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headSize = headSize;
    this.dtype = dtype;
  }

  @Override
  public NDManager manager() {
    return manager;
  }

  @Override
  public int rows() {
    return sequences * length;
  }

  @Override
  public int[] positions() {
    int[] p = new int[rows()];
    for (int r = 0; r < p.length; r++) {
      p[r] = r % length;
    }
    return p;
  }

  /**
   * Per sequence and key/value head, one product of its {@code group * L} queries (the query heads
   * sharing that key/value head) with its {@code L} keys, under a causal mask.
   */
  @Override
  public NDArray attend(int layer, NDArray q, NDArray k, NDArray v) {
    int b = sequences;
    int n = length;
    int group = heads / kvHeads;
    NDArray queries =
        q.reshape(b, n, kvHeads, group, headSize)
            .transpose(0, 2, 3, 1, 4)
            .reshape(b, kvHeads, (long) group * n, headSize);
    NDArray keys = k.reshape(b, n, kvHeads, headSize).transpose(0, 2, 3, 1); // (b, kv, d, n)
    NDArray values = v.reshape(b, n, kvHeads, headSize).transpose(0, 2, 1, 3); // (b, kv, n, d)
    NDArray scores = queries.matMul(keys).add(causalMask(group));
    return scores
        .softmax(-1)
        .matMul(values) // (b, kv, group * n, d)
        .reshape(b, kvHeads, group, n, headSize)
        .transpose(0, 3, 1, 2, 4)
        .reshape((long) b * n, (long) heads * headSize);
  }

  /** Additive mask {@code (group * L, L)}: query row {@code j} of a head sees positions <= j. */
  private NDArray causalMask(int group) {
    if (causalMask == null) {
      int n = length;
      float[] m = new float[group * n * n];
      for (int g = 0; g < group; g++) {
        for (int j = 0; j < n; j++) {
          int row = (g * n + j) * n;
          Arrays.fill(m, row + j + 1, row + n, Float.NEGATIVE_INFINITY);
        }
      }
      NDArray mask = manager.create(m, new Shape((long) group * n, n));
      causalMask = mask.getDataType() == dtype ? mask : mask.toType(dtype, false);
    }
    return causalMask;
  }

  @Override
  public NDArray outputRows(NDArray hidden) {
    return hidden;
  }
}
