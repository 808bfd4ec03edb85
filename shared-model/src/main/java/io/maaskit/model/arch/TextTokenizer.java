package io.maaskit.model.arch;

import java.util.OptionalInt;

/**
 * A generator's tokenizer (Hugging Face {@code tokenizer.json}, byte-level or byte-fallback BPE):
 * exact round trips, no truncation, no padding.
 */
public interface TextTokenizer {
  /** Token ids of {@code text}; special tokens (BOS) are added only when asked. */
  int[] encode(String text, boolean addSpecialTokens);

  /**
   * Text of {@code ids}. Bytes of an incomplete UTF-8 sequence at the end decode to U+FFFD, which
   * is how incremental detokenizers know to wait for more tokens.
   */
  String decode(int[] ids, boolean skipSpecialTokens);

  /** The raw bytes one token stands for (for {@code logprobs}' {@code bytes}). */
  byte[] tokenBytes(int id);

  /** The token's string as the vocabulary spells it (e.g. {@code Ġthe}). */
  String tokenString(int id);

  /** Id of a token given as the vocabulary spells it (special tokens included), if known. */
  OptionalInt tokenId(String token);

  /** Whether {@code id} is a special token (BOS, EOS, chat markers). */
  boolean isSpecial(int id);
}
