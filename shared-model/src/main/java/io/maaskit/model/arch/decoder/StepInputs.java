package io.maaskit.model.arch.decoder;

import io.maaskit.model.arch.TextGenerator.KvCache;
import java.util.List;

/**
 * The checks every generator makes of a {@link io.maaskit.model.arch.TextGenerator#forward} step
 * before it touches a cache, so that a refused step leaves every cache as it was.
 */
final class StepInputs {
  private StepInputs() {}

  /**
   * Checks a whole step and returns the caches: one token array per cache, every cache made by
   * {@code owner}, open and listed once, every sequence within {@code contextLength} and {@code
   * vocab}.
   */
  static DecoderCache[] check(
      List<KvCache> caches,
      List<int[]> tokens,
      DecoderCache.Owner owner,
      int contextLength,
      int vocab) {
    checkCounts(caches, tokens);
    DecoderCache[] own = new DecoderCache[caches.size()];
    for (int i = 0; i < own.length; i++) {
      if (!(caches.get(i) instanceof DecoderCache c) || c.owner() != owner) {
        throw new IllegalArgumentException("cache " + i + " was not made by this generator");
      }
      if (c.isClosed()) {
        throw new IllegalStateException("cache " + i + " is closed");
      }
      for (int j = 0; j < i; j++) {
        if (own[j] == c) {
          throw new IllegalArgumentException("the same cache appears twice in one step");
        }
      }
      checkSequence(i, c.length(), tokens.get(i), contextLength, vocab);
      own[i] = c;
    }
    return own;
  }

  /** One token array per cache, at least one cache. */
  private static void checkCounts(List<KvCache> caches, List<int[]> tokens) {
    if (caches.size() != tokens.size() || caches.isEmpty()) {
      throw new IllegalArgumentException(
          "forward needs one token array per cache, got "
              + caches.size()
              + " caches and "
              + tokens.size()
              + " token arrays");
    }
  }

  /**
   * Sequence {@code i}, holding {@code held} tokens, appends {@code t}: refused when empty, past
   * the context length or outside the vocabulary.
   */
  private static void checkSequence(int i, int held, int[] t, int contextLength, int vocab) {
    if (t.length == 0) {
      throw new IllegalArgumentException("sequence " + i + " has no new tokens");
    }
    if (held + t.length > contextLength) {
      throw new IllegalArgumentException(
          "sequence "
              + i
              + " would hold "
              + (held + t.length)
              + " tokens, more than the context length "
              + contextLength);
    }
    for (int id : t) {
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException(
            "token id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
      }
    }
  }
}
