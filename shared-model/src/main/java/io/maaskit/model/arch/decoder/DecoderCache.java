package io.maaskit.model.arch.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.maaskit.model.arch.TextGenerator;

/**
 * One sequence's keys and values: per layer a preallocated {@code (capacity, kvHeads, headSize)}
 * buffer for each, position-major so a step writes its new rows in place. Capacity grows by
 * doubling (copying once) up to the context length, so a short chat does not hold a full-context
 * buffer.
 */
public final class DecoderCache implements TextGenerator.KvCache {
  private static final int MIN_CAPACITY = 64;

  private final NDManager manager;
  private final int kvHeads;
  private final int headSize;
  private final int maxLength;
  private final DataType dtype;
  private final NDArray[] keys;
  private final NDArray[] values;
  private int capacity;
  private int length;
  private boolean closed;

  DecoderCache(
      NDManager manager, int layers, int kvHeads, int headSize, int maxLength, DataType dtype) {
    this.manager = manager;
    this.kvHeads = kvHeads;
    this.headSize = headSize;
    this.maxLength = maxLength;
    this.dtype = dtype;
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
  }

  @Override
  public int length() {
    return length;
  }

  /** Bytes the buffers hold now. */
  public long bytes() {
    return 2L * keys.length * capacity * kvHeads * headSize * dtype.getNumOfBytes();
  }

  /** Makes room for {@code needed} positions. */
  void reserve(int needed) {
    if (closed) {
      throw new IllegalStateException("the cache is closed");
    }
    if (needed <= capacity) {
      return;
    }
    int grown = Math.max(MIN_CAPACITY, capacity);
    while (grown < needed) {
      grown *= 2;
    }
    grown = Math.min(grown, maxLength);
    Shape shape = new Shape(grown, kvHeads, headSize);
    for (int l = 0; l < keys.length; l++) {
      keys[l] = grow(keys[l], shape);
      values[l] = grow(values[l], shape);
    }
    capacity = grown;
  }

  private NDArray grow(NDArray old, Shape shape) {
    NDArray fresh = manager.zeros(shape, dtype);
    if (old != null) {
      if (length > 0) {
        NDIndex held = new NDIndex().addSliceDim(0, length);
        try (NDArray view = old.get(held)) {
          fresh.set(held, view);
        }
      }
      old.close();
    }
    return fresh;
  }

  NDArray keys(int layer) {
    return keys[layer];
  }

  NDArray values(int layer) {
    return values[layer];
  }

  void advance(int n) {
    length += n;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      manager.close();
    }
  }
}
