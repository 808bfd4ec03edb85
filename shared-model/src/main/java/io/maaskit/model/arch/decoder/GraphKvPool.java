package io.maaskit.model.arch.decoder;

import io.maaskit.model.engine.CompiledGraph;
import io.maaskit.model.engine.CompiledGraph.Region;
import io.maaskit.model.engine.CompiledGraph.StateBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The keys and values of every live sequence of one {@link GraphDecoderGenerator}, in the engine's
 * native memory: per layer one key and one value buffer {@code (slots, kvHeads, capacity,
 * headSize)}, the layout GroupQueryAttention reads and appends to in place. Each live cache owns a
 * slot, and the live caches always fill slots {@code 0..n-1}: closing one moves the last slot's
 * contents into the freed one, so one batched decode run covers a prefix of the buffers.
 *
 * <p>Slots and capacity grow by doubling (capacity up to the context length plus one scratch
 * position, which batched runs let idle sequences write to); when the live sequences fit in a
 * quarter of the slots the buffers shrink, and when the last one closes they are freed. Not
 * thread-safe: the generator serializes access.
 */
final class GraphKvPool implements AutoCloseable {
  private static final int MIN_CAPACITY = 64;

  private final CompiledGraph graph;
  private final int layers;
  private final int kvHeads;
  private final int headSize;
  private final int maxCapacity;
  private final List<DecoderCache> live = new ArrayList<>();
  private StateBuffer[] keys;
  private StateBuffer[] values;
  private int slots;
  private int capacity;

  GraphKvPool(CompiledGraph graph, int layers, int kvHeads, int headSize, int maxCapacity) {
    this.graph = graph;
    this.layers = layers;
    this.kvHeads = kvHeads;
    this.headSize = headSize;
    this.maxCapacity = maxCapacity;
  }

  /** A new live cache in the next free slot (the buffers grow at the next {@link #reserve}). */
  DecoderCache acquire(DecoderCache.Owner owner) {
    DecoderCache c = new DecoderCache(owner, live.size());
    live.add(c);
    return c;
  }

  /** The live caches, by slot. */
  List<DecoderCache> live() {
    return live;
  }

  /** Frees {@code c}'s slot: the last live slot moves into it; buffers shrink or go. */
  void release(DecoderCache c) {
    int slot = c.slot();
    int last = live.size() - 1;
    if (live.get(slot) != c) {
      throw new IllegalStateException("cache is not in slot " + slot);
    }
    if (slot != last) {
      DecoderCache moved = live.get(last);
      if (keys != null && last < slots) {
        long stride = slotFloats(capacity);
        for (int l = 0; l < layers; l++) {
          keys[l].copyTo(last * stride, keys[l], slot * stride, stride);
          values[l].copyTo(last * stride, values[l], slot * stride, stride);
        }
      }
      moved.moveTo(slot);
      live.set(slot, moved);
    }
    live.remove(last);
    if (live.isEmpty()) {
      free();
    } else if (slots >= 4 && live.size() * 4 <= slots) {
      realloc(slots / 2, capacity);
    }
  }

  /** Makes room for every live slot and {@code positions} positions per slot. */
  void reserve(int positions) {
    if (positions > maxCapacity) {
      throw new IllegalArgumentException(
          positions + " positions exceed the cache's " + maxCapacity);
    }
    int needSlots = live.size();
    if (keys != null && needSlots <= slots && positions <= capacity) {
      return;
    }
    realloc(
        KvPool.doubled(Math.max(slots, 1), needSlots),
        Math.min(KvPool.doubled(Math.max(capacity, MIN_CAPACITY), positions), maxCapacity));
  }

  private void realloc(int newSlots, int newCapacity) {
    StateBuffer[] newKeys = new StateBuffer[layers];
    StateBuffer[] newValues = new StateBuffer[layers];
    try {
      for (int l = 0; l < layers; l++) {
        newKeys[l] = graph.allocate(newSlots * slotFloats(newCapacity));
        newValues[l] = graph.allocate(newSlots * slotFloats(newCapacity));
      }
    } catch (RuntimeException e) {
      closeAll(newKeys);
      closeAll(newValues);
      throw e;
    }
    if (keys != null) {
      int keep = Math.min(Math.min(slots, newSlots), live.size());
      long run = (long) Math.min(capacity, newCapacity) * headSize;
      for (int l = 0; l < layers; l++) {
        if (newCapacity == capacity) {
          keys[l].copyTo(0, newKeys[l], 0, keep * slotFloats(capacity));
          values[l].copyTo(0, newValues[l], 0, keep * slotFloats(capacity));
          continue;
        }
        for (long h = 0; h < (long) keep * kvHeads; h++) {
          keys[l].copyTo(h * capacity * headSize, newKeys[l], h * newCapacity * headSize, run);
          values[l].copyTo(h * capacity * headSize, newValues[l], h * newCapacity * headSize, run);
        }
      }
      free();
    }
    keys = newKeys;
    values = newValues;
    slots = newSlots;
    capacity = newCapacity;
  }

  private long slotFloats(int positions) {
    return (long) kvHeads * positions * headSize;
  }

  /** Layer {@code layer}'s keys of slots {@code first..first+count-1}. */
  Region keys(int layer, int first, int count) {
    return region(keys[layer], first, count);
  }

  /** Layer {@code layer}'s values of slots {@code first..first+count-1}. */
  Region values(int layer, int first, int count) {
    return region(values[layer], first, count);
  }

  private Region region(StateBuffer b, int first, int count) {
    return new Region(b, first * slotFloats(capacity), count, kvHeads, capacity, headSize);
  }

  /** Bytes the buffers hold now. */
  long bytes() {
    return keys == null ? 0 : 2L * layers * slots * slotFloats(capacity) * Float.BYTES;
  }

  private void free() {
    if (keys != null) {
      closeAll(keys);
      closeAll(values);
      keys = null;
      values = null;
      slots = 0;
      capacity = 0;
    }
  }

  private static void closeAll(StateBuffer[] buffers) {
    for (StateBuffer b : buffers) {
      if (b != null) {
        b.close();
      }
    }
  }

  /** Frees the buffers; live caches become unusable. */
  @Override
  public void close() {
    free();
    live.clear();
  }
}
