package io.maaskit.model.task.internal;

import io.maaskit.model.arch.TextTokenizer;
import java.util.Arrays;

/**
 * Turns a growing list of token ids into text deltas, TGI-style: it decodes a window {@code
 * ids[prefix:]} that starts a few tokens back (so tokenizers that drop a leading space or merge
 * bytes across tokens see their context) and emits only text that grew and does not end in U+FFFD
 * (the bytes of a multi-byte character still arriving). Special tokens are skipped.
 */
public final class IncrementalDetokenizer {
  private final TextTokenizer tokenizer;
  private int[] ids = new int[16];
  private int size;
  private int prefix;
  private int read;

  public IncrementalDetokenizer(TextTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /** Adds a token; returns the text that became final (possibly empty). */
  public String add(int id) {
    if (size == ids.length) {
      ids = Arrays.copyOf(ids, size * 2);
    }
    ids[size++] = id;
    String before = decode(prefix, read);
    String now = decode(prefix, size);
    if (now.length() > before.length() && !now.endsWith("\uFFFD") && now.startsWith(before)) {
      prefix = read;
      read = size;
      return now.substring(before.length());
    }
    return "";
  }

  /** The text still held back (an incomplete character at the end decodes to U+FFFD). */
  public String flush() {
    String before = decode(prefix, read);
    String now = decode(prefix, size);
    prefix = read = size;
    return now.length() > before.length() && now.startsWith(before)
        ? now.substring(before.length())
        : "";
  }

  private String decode(int from, int to) {
    return from == to ? "" : tokenizer.decode(Arrays.copyOfRange(ids, from, to), true);
  }
}
