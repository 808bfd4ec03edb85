package io.maaskit.model.store;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A destination that accepts bytes at absolute positions, so parallel ranged downloads can write
 * their parts in any order: a file channel (disk cache) or a buffer (memory mode).
 */
public interface ByteSink {
  /** Writes all remaining bytes of {@code src} starting at {@code position}. Thread-safe. */
  void write(long position, ByteBuffer src) throws IOException;
}
