package io.maaskit.model.arch.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.Tokens;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bounded cut before tokenizing gives exactly the tokens of tokenizing the whole text and
 * truncating, on all-MiniLM-L6-v2's real tokenizer, for texts that stress the cut: long words, no
 * spaces at all, CJK (one word per character), emoji (surrogate pairs at the cut), combining
 * accents, runs of whitespace, and a budget that must double several times.
 */
class BertTokenizationTest {
  static Stream<Arguments> texts() {
    Random rnd = new Random(15);
    String sentence = "The quick brown fox jumps over the lazy dog, again and again. ";
    StringBuilder mixed = new StringBuilder();
    String[] pieces = {
      "naïve ", "cafe\u0301 ", "🙂", "🚀 ", "東京", "tokenization ", "!!!", "\t\n ", "x", "ünïcödé "
    };
    while (mixed.length() < 40_000) {
      mixed.append(pieces[rnd.nextInt(pieces.length)]);
    }
    List<Arguments> out = new ArrayList<>();
    for (int maxLength : new int[] {256, 16}) {
      out.add(Arguments.of(maxLength, "short", "hello world"));
      out.add(Arguments.of(maxLength, "english", sentence.repeat(2_000)));
      out.add(Arguments.of(maxLength, "no spaces", "abcdefghij".repeat(5_000)));
      out.add(Arguments.of(maxLength, "long words", ("w" + "o".repeat(150) + "rd ").repeat(300)));
      out.add(Arguments.of(maxLength, "cjk", "日本語のテキストと中文文本".repeat(2_000)));
      out.add(Arguments.of(maxLength, "emoji", "🙂🚀😀🎉".repeat(5_000)));
      out.add(Arguments.of(maxLength, "accents", "cafe\u0301 re\u0301sume\u0301 ".repeat(3_000)));
      out.add(
          Arguments.of(maxLength, "whitespace first", " ".repeat(30_000) + sentence.repeat(50)));
      out.add(Arguments.of(maxLength, "one word then text", "a".repeat(9_000) + " " + sentence));
      out.add(Arguments.of(maxLength, "mixed", mixed.toString()));
      out.add(
          Arguments.of(
              maxLength,
              "exactly the budget",
              "ab ".repeat(maxLength * BertTokenization.CHARS_PER_TOKEN / 3 + 1)));
    }
    return out.stream();
  }

  @org.junit.jupiter.api.Test
  void aCutKeepsWholeWordsAndSurrogatePairs() {
    assertEquals(6, BertTokenization.cutPoint("hello world again", 8));
    String emoji = "a🙂🙂🙂";
    assertEquals(1, BertTokenization.cutPoint(emoji, 2)); // not between the halves of 🙂
    assertEquals(3, BertTokenization.cutPoint(emoji, 3));
  }

  @ParameterizedTest(name = "{1} (maxLength {0})")
  @MethodSource("texts")
  void theCutEqualsTokenizingEverythingAndTruncating(int maxLength, String name, String text)
      throws Exception {
    byte[] json = Files.readAllBytes(TestModels.resource("all-minilm-l6-v2-tokenizer.json"));
    try (BertTokenization t = new BertTokenization(ByteBuffer.wrap(json), maxLength)) {
      Tokens whole = t.encodeWhole(text);
      Tokens cut = t.encode(text);
      assertArrayEquals(whole.ids(), cut.ids(), name);
      assertArrayEquals(whole.typeIds(), cut.typeIds(), name);
    }
  }
}
