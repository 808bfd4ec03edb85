package io.maaskit.model.arch.decoder;

import io.maaskit.model.arch.TextGenerator;

/**
 * One sequence's keys and values: a slot of its generator's pool ({@link KvPool} or {@link
 * GraphKvPool}; a graph pool moves it to another slot when another sequence closes) and how many
 * positions of it are filled. Closing it frees the slot.
 */
final class DecoderCache implements TextGenerator.KvCache {
  /** The generator that made a cache and takes its slot back. */
  interface Owner {
    /** Frees the slot of {@code cache}, which is closing. */
    void release(DecoderCache cache);
  }

  private final Owner owner;
  private int slot;
  private int length;
  private boolean closed;

  DecoderCache(Owner owner, int slot) {
    this.owner = owner;
    this.slot = slot;
  }

  @Override
  public int length() {
    return length;
  }

  int slot() {
    return slot;
  }

  void moveTo(int slot) {
    this.slot = slot;
  }

  Owner owner() {
    return owner;
  }

  boolean isClosed() {
    return closed;
  }

  void advance(int n) {
    length += n;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      owner.release(this);
    }
  }
}
