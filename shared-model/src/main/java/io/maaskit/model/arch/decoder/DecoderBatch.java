package io.maaskit.model.arch.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * One forward step over several sequences. Their new tokens are stacked as rows ({@code T} rows in
 * all; sequence {@code i} owns rows {@code offset(i) .. offset(i) + count(i)}), so every linear
 * layer runs once for the whole batch; attention then runs per sequence against that sequence's own
 * cache, with a causal mask when it appends more than one token.
 *
 * <p>Arrays made during the step live in {@link #manager()}, closed when the step ends.
 */
public final class DecoderBatch {
  private final NDManager manager;
  private final DecoderCache[] caches;
  private final int[] past;
  private final int[] count;
  private final int[] offset;
  private final int[] tokens;
  private final int[] positions;
  private final int heads;
  private final int kvHeads;
  private final int headSize;
  private final DataType dtype;
  private final NDArray[] masks;

  DecoderBatch(
      NDManager manager,
      DecoderCache[] caches,
      int[][] tokens,
      int heads,
      int kvHeads,
      int headSize,
      DataType dtype) {
    this.manager = manager;
    this.caches = caches;
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headSize = headSize;
    this.dtype = dtype;
    int b = caches.length;
    past = new int[b];
    count = new int[b];
    offset = new int[b];
    int rows = 0;
    for (int i = 0; i < b; i++) {
      past[i] = caches[i].length();
      count[i] = tokens[i].length;
      offset[i] = rows;
      rows += count[i];
    }
    this.tokens = new int[rows];
    this.positions = new int[rows];
    for (int i = 0; i < b; i++) {
      System.arraycopy(tokens[i], 0, this.tokens, offset[i], count[i]);
      for (int j = 0; j < count[i]; j++) {
        positions[offset[i] + j] = past[i] + j;
      }
    }
    masks = new NDArray[b];
  }

  /** Where the step's arrays live. */
  public NDManager manager() {
    return manager;
  }

  /** Number of sequences. */
  public int sequences() {
    return caches.length;
  }

  /** Rows of the step (all sequences' new tokens). */
  public int rows() {
    return tokens.length;
  }

  /** Token id of each row. */
  public int[] tokens() {
    return tokens.clone();
  }

  /** Position (index in its sequence) of each row. */
  public int[] positions() {
    return positions.clone();
  }

  /** The rows' token ids as an int64 array {@code (T)}. */
  public NDArray tokenArray() {
    return manager.create(Arrays.stream(tokens).asLongStream().toArray());
  }

  /** The rows' positions as an int64 array {@code (T)}. */
  public NDArray positionArray() {
    return manager.create(Arrays.stream(positions).asLongStream().toArray());
  }

  /** Of {@code hidden} {@code (T, width)}, the last row of each sequence: {@code (B, width)}. */
  public NDArray lastRows(NDArray hidden) {
    if (tokens.length == caches.length) {
      return hidden;
    }
    long[] last = new long[caches.length];
    for (int i = 0; i < last.length; i++) {
      last[i] = offset[i] + count[i] - 1L;
    }
    return hidden.get(manager, new NDIndex("{}", manager.create(last)));
  }

  /**
   * Causal attention of layer {@code layer}: appends each sequence's new keys and values to its
   * cache, then lets each of its queries attend to every cached position up to its own.
   *
   * @param q queries {@code (T, heads, headSize)}, already scaled by {@code 1/sqrt(headSize)}
   * @param k keys {@code (T, kvHeads, headSize)}
   * @param v values {@code (T, kvHeads, headSize)}
   * @return the attention output {@code (T, heads * headSize)}
   */
  public NDArray attend(int layer, NDArray q, NDArray k, NDArray v) {
    if (caches.length == 1) {
      return attendOne(0, layer, q, k, v);
    }
    NDList out = new NDList(caches.length);
    for (int i = 0; i < caches.length; i++) {
      NDIndex rows = new NDIndex().addSliceDim(offset[i], offset[i] + count[i]);
      out.add(
          attendOne(i, layer, q.get(manager, rows), k.get(manager, rows), v.get(manager, rows)));
    }
    return NDArrays.concat(out, 0);
  }

  private NDArray attendOne(int i, int layer, NDArray q, NDArray k, NDArray v) {
    DecoderCache cache = caches[i];
    int n = count[i];
    int end = past[i] + n;
    int group = heads / kvHeads;
    NDIndex fresh = new NDIndex().addSliceDim(past[i], end);
    cache.keys(layer).set(fresh, k);
    cache.values(layer).set(fresh, v);
    NDIndex held = new NDIndex().addSliceDim(0, end);
    // (end, kv, d) -> (kv, d, end) and (kv, end, d): one matrix product per key/value head.
    NDArray keys = cache.keys(layer).get(manager, held).transpose(1, 2, 0);
    NDArray values = cache.values(layer).get(manager, held).transpose(1, 0, 2);
    // Query heads kvHead*group .. kvHead*group+group-1 share one key/value head (GQA), so the
    // queries of one key/value head form one (group * n, d) matrix.
    NDArray queries =
        n == 1
            ? q.reshape(kvHeads, group, headSize)
            : q.transpose(1, 0, 2).reshape(kvHeads, (long) group * n, headSize);
    NDArray scores = queries.matMul(keys);
    if (n > 1) {
      scores = scores.add(mask(i, group));
    }
    NDArray out = scores.softmax(-1).matMul(values);
    return n == 1
        ? out.reshape(1, (long) heads * headSize)
        : out.reshape(heads, n, headSize).transpose(1, 0, 2).reshape(n, (long) heads * headSize);
  }

  /**
   * Additive causal mask {@code (group * n, end)}: query j of the step sees positions <= past+j.
   */
  private NDArray mask(int i, int group) {
    if (masks[i] == null) {
      int n = count[i];
      int end = past[i] + n;
      float[] m = new float[group * n * end];
      for (int g = 0; g < group; g++) {
        for (int j = 0; j < n; j++) {
          int row = (g * n + j) * end;
          Arrays.fill(m, row + past[i] + j + 1, row + end, Float.NEGATIVE_INFINITY);
        }
      }
      NDArray mask = manager.create(m, new Shape((long) group * n, end));
      masks[i] = mask.getDataType() == dtype ? mask : mask.toType(dtype, false);
    }
    return masks[i];
  }
}
