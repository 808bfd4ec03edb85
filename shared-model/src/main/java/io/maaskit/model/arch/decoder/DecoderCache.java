package io.maaskit.model.arch.decoder;

import io.maaskit.model.arch.TextGenerator;

/**
 * One sequence's keys and values: a slot of its generator's {@link KvPool} and how many positions
 * of it are filled. Closing it frees the slot.
 */
final class DecoderCache implements TextGenerator.KvCache {
  private final DecoderGenerator owner;
  private final int slot;
  private int length;
  private boolean closed;

  DecoderCache(DecoderGenerator owner, int slot) {
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

  DecoderGenerator owner() {
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
