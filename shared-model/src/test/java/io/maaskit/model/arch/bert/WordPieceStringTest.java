package io.maaskit.model.arch.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Tokens back to text as the {@code tokenizers} WordPiece decoder (cleanup on) does. */
class WordPieceStringTest {
  @Test
  void gluesContinuationsAndCleansSpacesBeforePunctuation() {
    assertEquals(
        "ada lovelace", BertTokenization.wordPieceString(List.of("ada", "love", "##lace")));
    assertEquals("zurich", BertTokenization.wordPieceString(List.of("zu", "##rich")));
    // A first token keeps its prefix: nothing before it to glue to.
    assertEquals("##lace", BertTokenization.wordPieceString(List.of("##lace")));
    assertEquals(
        "hello, world!", BertTokenization.wordPieceString(List.of("hello", ",", "world", "!")));
    assertEquals("it's", BertTokenization.wordPieceString(List.of("it", "'s")));
    assertEquals("東 京", BertTokenization.wordPieceString(List.of("東", "京")));
  }
}
