package io.maaskit.model.arch.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.BitSet;

/**
 * The keys and values of every live sequence of one generator: per layer one {@code (slots,
 * kvHeads, headSize, capacity)} buffer for keys and one {@code (slots, kvHeads, capacity,
 * headSize)} for values, each already in the orientation attention's products take; each {@link
 * DecoderCache} owns a slot. Holding all sequences in one buffer lets a decode step write every
 * sequence's new keys with one indexed store and read the whole batch's history with one slice,
 * instead of a handful of engine calls per sequence and layer.
 *
 * <p>Both dimensions grow by doubling (one copy each time) as sequences arrive and lengthen, up to
 * the context length; when the last sequence closes, the buffers are freed. Not thread-safe: the
 * generator serializes access.
 */
final class KvPool {
  private static final int MIN_CAPACITY = 64;

  private final NDManager parent;
  private final int layers;
  private final int kvHeads;
  private final int headSize;
  private final int maxLength;
  private final DataType dtype;
  private final BitSet used = new BitSet();
  private NDManager manager;
  private NDArray[] keys;
  private NDArray[] values;
  private int slots;
  private int capacity;

  KvPool(NDManager parent, int layers, int kvHeads, int headSize, int maxLength, DataType dtype) {
    this.parent = parent;
    this.layers = layers;
    this.kvHeads = kvHeads;
    this.headSize = headSize;
    this.maxLength = maxLength;
    this.dtype = dtype;
  }

  /** A free slot (the buffers grow to hold it at the next {@link #reserve}). */
  int acquire() {
    int slot = used.nextClearBit(0);
    used.set(slot);
    return slot;
  }

  /** Frees a slot; the buffers go when no slot is in use. */
  void release(int slot) {
    used.clear(slot);
    if (used.isEmpty() && manager != null) {
      manager.close();
      manager = null;
      keys = null;
      values = null;
      slots = 0;
      capacity = 0;
    }
  }

  /** Makes room for every slot in use and {@code positions} positions per slot. */
  void reserve(int positions) {
    int needSlots = used.length();
    if (needSlots <= slots && positions <= capacity) {
      return;
    }
    int newSlots = doubled(Math.max(slots, 1), needSlots);
    int newCapacity = Math.min(doubled(Math.max(capacity, MIN_CAPACITY), positions), maxLength);
    if (manager == null) {
      manager = parent.newSubManager();
      keys = new NDArray[layers];
      values = new NDArray[layers];
    }
    Shape keyShape = new Shape(newSlots, kvHeads, headSize, newCapacity);
    Shape valueShape = new Shape(newSlots, kvHeads, newCapacity, headSize);
    NDIndex oldKeys =
        new NDIndex().addSliceDim(0, slots).addAllDim().addAllDim().addSliceDim(0, capacity);
    NDIndex oldValues = new NDIndex().addSliceDim(0, slots).addAllDim().addSliceDim(0, capacity);
    for (int l = 0; l < layers; l++) {
      keys[l] = grow(keys[l], keyShape, oldKeys);
      values[l] = grow(values[l], valueShape, oldValues);
    }
    slots = newSlots;
    capacity = newCapacity;
  }

  /** {@code from} doubled until it is at least {@code atLeast}. */
  static int doubled(int from, int atLeast) {
    int n = from;
    while (n < atLeast) {
      n *= 2;
    }
    return n;
  }

  private NDArray grow(NDArray old, Shape shape, NDIndex held) {
    NDArray fresh = manager.zeros(shape, dtype);
    if (old != null) {
      fresh.set(held, old);
      old.close();
    }
    return fresh;
  }

  /** Keys of layer {@code layer}: {@code (slots, kvHeads, headSize, capacity)}. */
  NDArray keys(int layer) {
    return keys[layer];
  }

  /** Values of layer {@code layer}: {@code (slots, kvHeads, capacity, headSize)}. */
  NDArray values(int layer) {
    return values[layer];
  }

  /** Bytes the buffers hold now. */
  long bytes() {
    return 2L * layers * slots * capacity * kvHeads * headSize * dtype.getNumOfBytes();
  }
}
