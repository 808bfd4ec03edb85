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
 * all) so that every linear layer runs once for the whole batch. Sequences that append one token
 * (decoding) come first, in one block of rows; sequences that append several (prefill) follow.
 *
 * <p>Attention writes every row's key and value into its sequence's slot of the {@link KvPool} with
 * one indexed store per layer. The decoding block then attends in one batched product over the
 * slots' histories, each row masked beyond its own sequence's length; each prefilling sequence
 * attends on its own with a causal mask.
 *
 * <p>Arrays made during the step live in {@link #manager()}, closed when the step ends.
 */
public final class DecoderBatch implements DecoderPass {
  private final NDManager manager;
  private final KvPool pool;
  private final int heads;
  private final int kvHeads;
  private final int headSize;
  private final DataType dtype;

  /** Per sequence, in the caller's order. */
  private final int[] slot;

  private final int[] past;
  private final int[] count;
  private final int[] offset;

  /** Per row. */
  private final int[] tokens;

  private final int[] positions;

  /** Sequences (caller's index) of the decoding block, in row order, and of the prefill rest. */
  private final int[] decoding;

  private final int[] prefilling;
  private final int decodeLength;
  private final NDArray[] causalMasks;
  private NDArray rowSlot;
  private NDArray rowPosition;
  private NDIndex keySlots;
  private NDIndex valueSlots;
  private NDArray decodeMask;
  private boolean decodeMaskMade;

  DecoderBatch(
      NDManager manager,
      KvPool pool,
      DecoderCache[] caches,
      int[][] tokens,
      int heads,
      int kvHeads,
      int headSize,
      DataType dtype) {
    this.manager = manager;
    this.pool = pool;
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headSize = headSize;
    this.dtype = dtype;
    int b = caches.length;
    slot = new int[b];
    past = new int[b];
    count = new int[b];
    offset = new int[b];
    int decodes = 0;
    int rows = 0;
    for (int i = 0; i < b; i++) {
      slot[i] = caches[i].slot();
      past[i] = caches[i].length();
      count[i] = tokens[i].length;
      rows += count[i];
      if (count[i] == 1) {
        decodes++;
      }
    }
    causalMasks = new NDArray[b];
    decoding = new int[decodes];
    prefilling = new int[b - decodes];
    int d = 0;
    int p = 0;
    int longest = 0;
    for (int i = 0; i < b; i++) {
      if (count[i] == 1) {
        decoding[d] = i;
        offset[i] = d++;
        longest = Math.max(longest, past[i] + 1);
      } else {
        prefilling[p++] = i;
      }
    }
    decodeLength = longest;
    int row = decodes;
    for (int i : prefilling) {
      offset[i] = row;
      row += count[i];
    }
    this.tokens = new int[rows];
    this.positions = new int[rows];
    for (int i = 0; i < b; i++) {
      System.arraycopy(tokens[i], 0, this.tokens, offset[i], count[i]);
      for (int j = 0; j < count[i]; j++) {
        positions[offset[i] + j] = past[i] + j;
      }
    }
  }

  /** Where the step's arrays live. */
  @Override
  public NDManager manager() {
    return manager;
  }

  /** Number of sequences. */
  public int sequences() {
    return slot.length;
  }

  /** Rows of the step (all sequences' new tokens). */
  @Override
  public int rows() {
    return tokens.length;
  }

  /** Token id of each row. */
  public int[] tokens() {
    return tokens.clone();
  }

  /** Position (index in its sequence) of each row. */
  @Override
  public int[] positions() {
    return positions.clone();
  }

  /** The rows' token ids as an int64 array {@code (T)}. */
  public NDArray tokenArray() {
    return manager.create(Arrays.stream(tokens).asLongStream().toArray());
  }

  /**
   * Of {@code hidden} {@code (T, width)}, the last row of each sequence in the caller's order:
   * {@code (sequences, width)}.
   */
  @Override
  public NDArray outputRows(NDArray hidden) {
    long[] last = new long[slot.length];
    boolean identity = tokens.length == slot.length;
    for (int i = 0; i < last.length; i++) {
      last[i] = offset[i] + count[i] - 1L;
      identity &= last[i] == i;
    }
    return identity ? hidden : hidden.get(manager, new NDIndex("{}", manager.create(last)));
  }

  /**
   * Causal attention of layer {@code layer}: stores every row's key and value in its sequence's
   * cache slot, then lets each query attend to its sequence's positions up to its own.
   *
   * @param q queries {@code (T, heads, headSize)}, already scaled by {@code 1/sqrt(headSize)}
   * @param k keys {@code (T, kvHeads, headSize)}
   * @param v values {@code (T, kvHeads, headSize)}
   * @return the attention output {@code (T, heads * headSize)}
   */
  @Override
  public NDArray attend(int layer, NDArray q, NDArray k, NDArray v) {
    NDArray keys = pool.keys(layer);
    NDArray values = pool.values(layer);
    keys.set(keySlots(), k);
    values.set(valueSlots(), v);
    NDList out = new NDList(1 + prefilling.length);
    if (decoding.length > 0) {
      NDArray qd =
          decoding.length == tokens.length
              ? q
              : q.get(manager, new NDIndex().addSliceDim(0, decoding.length));
      out.add(attendDecoding(keys, values, qd));
    }
    for (int i : prefilling) {
      NDIndex rows = new NDIndex().addSliceDim(offset[i], offset[i] + count[i]);
      out.add(attendPrefill(i, keys, values, q.get(manager, rows)));
    }
    return out.size() == 1 ? out.get(0) : NDArrays.concat(out, 0);
  }

  /** (slot, :, :, position) of every row: where its key goes. */
  private NDIndex keySlots() {
    if (keySlots == null) {
      rowIndices();
      keySlots = new NDIndex("{}, :, :, {}", rowSlot, rowPosition);
    }
    return keySlots;
  }

  /** (slot, :, position) of every row: where its value goes. */
  private NDIndex valueSlots() {
    if (valueSlots == null) {
      rowIndices();
      valueSlots = new NDIndex("{}, :, {}", rowSlot, rowPosition);
    }
    return valueSlots;
  }

  private void rowIndices() {
    if (rowSlot == null) {
      long[] s = new long[tokens.length];
      long[] p = new long[tokens.length];
      for (int i = 0; i < slot.length; i++) {
        Arrays.fill(s, offset[i], offset[i] + count[i], slot[i]);
      }
      for (int r = 0; r < p.length; r++) {
        p[r] = positions[r];
      }
      rowSlot = manager.create(s);
      rowPosition = manager.create(p);
    }
  }

  /**
   * One query per decoding sequence, all at once: {@code (B, kv, group, d) @ (B, kv, d, L)} over
   * the slots' first {@code L} positions ({@code L} the longest of them), masked per sequence.
   */
  private NDArray attendDecoding(NDArray keys, NDArray values, NDArray q) {
    int b = decoding.length;
    int group = heads / kvHeads;
    NDArray k = slots(keys, 3); // (B, kv, d, L)
    NDArray v = slots(values, 2); // (B, kv, L, d)
    NDArray scores = q.reshape(b, kvHeads, group, headSize).matMul(k); // (B, kv, g, L)
    NDArray mask = decodeMask();
    if (mask != null) {
      scores = scores.add(mask);
    }
    return scores.softmax(-1).matMul(v).reshape(b, (long) heads * headSize);
  }

  /**
   * The decoding sequences' slots, first {@link #decodeLength} positions along {@code axis}: a view
   * when the slots are adjacent, else a gathered copy.
   */
  private NDArray slots(NDArray buffer, int axis) {
    int first = slot[decoding[0]];
    boolean adjacent = true;
    for (int j = 0; j < decoding.length; j++) {
      adjacent &= slot[decoding[j]] == first + j;
    }
    NDIndex positions = new NDIndex();
    if (adjacent) {
      positions.addSliceDim(first, first + decoding.length);
    } else {
      positions.addAllDim();
    }
    for (int a = 1; a < axis; a++) {
      positions.addAllDim();
    }
    positions.addSliceDim(0, decodeLength);
    NDArray held = buffer.get(manager, positions);
    if (adjacent) {
      return held;
    }
    long[] s = new long[decoding.length];
    for (int j = 0; j < s.length; j++) {
      s[j] = slot[decoding[j]];
    }
    return held.get(manager, new NDIndex("{}", manager.create(s)));
  }

  /** {@code (B, 1, 1, L)}: 0 where a sequence has a position, -inf past its end; null if none. */
  private NDArray decodeMask() {
    if (!decodeMaskMade) {
      decodeMaskMade = true;
      float[] m = new float[decoding.length * decodeLength];
      boolean any = false;
      for (int j = 0; j < decoding.length; j++) {
        int length = past[decoding[j]] + 1;
        if (length < decodeLength) {
          any = true;
          Arrays.fill(
              m, j * decodeLength + length, (j + 1) * decodeLength, Float.NEGATIVE_INFINITY);
        }
      }
      if (any) {
        NDArray mask = manager.create(m, new Shape(decoding.length, 1, 1, decodeLength));
        decodeMask = mask.getDataType() == dtype ? mask : mask.toType(dtype, false);
      }
    }
    return decodeMask;
  }

  /** A sequence appending {@code n > 1} tokens: causal attention over its own slot. */
  private NDArray attendPrefill(int i, NDArray keys, NDArray values, NDArray q) {
    int n = count[i];
    int end = past[i] + n;
    int group = heads / kvHeads;
    // (kv, d, end) and (kv, end, d): one matrix product per key/value head.
    NDArray k =
        keys.get(
            manager, new NDIndex().addIndices(slot[i]).addAllDim().addAllDim().addSliceDim(0, end));
    NDArray v =
        values.get(manager, new NDIndex().addIndices(slot[i]).addAllDim().addSliceDim(0, end));
    // Query heads kvHead*group .. kvHead*group+group-1 share one key/value head (GQA), so the
    // queries of one key/value head form one (group * n, d) matrix.
    NDArray queries = q.transpose(1, 0, 2).reshape(kvHeads, (long) group * n, headSize);
    NDArray scores = queries.matMul(k).add(causalMask(i, group));
    NDArray out = scores.softmax(-1).matMul(v); // (kv, group * n, d)
    return out.reshape(heads, n, headSize).transpose(1, 0, 2).reshape(n, (long) heads * headSize);
  }

  /**
   * Additive causal mask {@code (group * n, end)}: query j of the step sees positions <= past+j.
   */
  private NDArray causalMask(int i, int group) {
    if (causalMasks[i] != null) {
      return causalMasks[i];
    }
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
    causalMasks[i] = mask.getDataType() == dtype ? mask : mask.toType(dtype, false);
    return causalMasks[i];
  }
}
