package io.maaskit.model.arch;

/**
 * One text after tokenization and truncation: token ids and token type ids, the same length.
 *
 * @param ids token ids
 * @param typeIds segment ids (zeros for single texts)
 */
public record Tokens(long[] ids, long[] typeIds) {
  /** Number of tokens. */
  public int length() {
    return ids.length;
  }
}
