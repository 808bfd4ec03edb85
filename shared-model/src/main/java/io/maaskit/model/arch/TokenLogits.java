package io.maaskit.model.arch;

import java.util.List;

/**
 * Capabilities {@code token-classifier} and {@code question-answerer}: an encoder with a linear
 * head on every token's final hidden state (Hugging Face's {@code *ForTokenClassification}, whose
 * columns are entity labels, and {@code *ForQuestionAnswering}, whose two columns are the start and
 * end logits). The model tokenizes whole texts with their character spans; the task layer cuts them
 * into windows of at most {@link #maxLength()} tokens and reads the logits. Thread-safe.
 */
public interface TokenLogits extends SequenceModel {
  /** The head's columns: entity labels, or {@code [start, end]} names for a question answerer. */
  List<String> labels();

  /**
   * A whole text's tokens, without special tokens and without truncation (the caller bounds the
   * text), each with its character span {@code [start, end)} in {@code text}, its surface form
   * ({@code ##ing} for a WordPiece continuation), its pre-tokenizer word index, whether it
   * continues the word of the token before it (Hugging Face's pipeline test for tokenizers with a
   * continuing-subword prefix: the token's surface is not as long as its span of the text) and
   * whether it is the unknown token (then never a continuation).
   */
  record Pieces(
      long[] ids,
      String[] tokens,
      int[] starts,
      int[] ends,
      int[] words,
      boolean[] subword,
      boolean[] unknown) {
    /** Number of tokens. */
    public int length() {
      return ids.length;
    }
  }

  /** Tokenizes all of {@code text}; see {@link Pieces}. */
  Pieces pieces(String text);

  /**
   * Tokens back to text as the tokenizer's decoder does (Hugging Face's {@code
   * convert_tokens_to_string}): WordPiece joins with spaces, glues {@code ##} continuations and
   * cleans up the space before punctuation.
   */
  String tokensToString(List<String> tokens);

  /** The token that opens a sequence ({@code [CLS]}). */
  long clsId();

  /** The token that closes a segment ({@code [SEP]}). */
  long sepId();

  /**
   * The head's logits for every token of every sequence of one batch: {@code
   * [batch][token][column]}, each sequence as long as its own tokens (padding dropped).
   */
  float[][][] tokenLogits(List<Tokens> batch);
}
