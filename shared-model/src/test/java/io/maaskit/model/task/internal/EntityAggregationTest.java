package io.maaskit.model.task.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.maaskit.model.task.AggregationStrategy;
import io.maaskit.model.task.Entity;
import io.maaskit.model.task.internal.EntityAggregation.Token;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Hugging Face's token-classification aggregation, expected outputs worked by hand from the
 * pipeline's documentation ({@code AggregationStrategy}'s docstring, {@code group_entities}, {@code
 * aggregate_word}, {@code aggregate_overlapping_entities}).
 */
class EntityAggregationTest {
  private static final List<String> LABELS = List.of("O", "B-PER", "I-PER", "B-LOC", "I-LOC");
  private static final Set<String> IGNORE = Set.of("O");

  /** The slow BERT tokenizer's convert_tokens_to_string: join with spaces, glue "##" pieces. */
  private static final Function<List<String>, String> JOIN =
      t -> String.join(" ", t).replace(" ##", "").strip();

  /**
   * "Ada Lovelace visited Zürich": the uncased tokenizer reads "ada", "love", "##lace", "visited",
   * "zu", "##rich" (accent stripped, offsets still index the text: "Zü" is 21..23).
   */
  private static List<Token> lovelace() {
    return List.of(
        new Token("ada", 0, 3, 1, false, new double[] {0.05, 0.9, 0.03, 0.01, 0.01}),
        new Token("love", 4, 8, 2, false, new double[] {0.1, 0.05, 0.8, 0.03, 0.02}),
        new Token("##lace", 8, 12, 3, true, new double[] {0.05, 0.02, 0.4, 0.5, 0.03}),
        new Token("visited", 13, 20, 4, false, new double[] {0.95, 0.01, 0.02, 0.01, 0.01}),
        new Token("zu", 21, 23, 5, false, new double[] {0.1, 0.05, 0.05, 0.7, 0.1}),
        new Token("##rich", 23, 27, 6, true, new double[] {0.1, 0.05, 0.05, 0.05, 0.75}));
  }

  private static List<Entity> run(AggregationStrategy s) {
    return EntityAggregation.window(lovelace(), LABELS, s, IGNORE, JOIN);
  }

  private static void assertEntity(
      Entity e, String label, double score, Integer index, String word, int start, int end) {
    assertEquals(label, e.label(), "label of " + e);
    assertEquals(score, e.score(), 1e-6, "score of " + e);
    assertEquals(index, e.index(), "index of " + e);
    assertEquals(word, e.word(), "word of " + e);
    assertEquals(start, e.start(), "start of " + e);
    assertEquals(end, e.end(), "end of " + e);
  }

  @Test
  void noneKeepsEveryTokenButO() {
    List<Entity> e = run(AggregationStrategy.NONE);
    assertEquals(5, e.size(), e.toString());
    assertEntity(e.get(0), "B-PER", 0.9, 1, "ada", 0, 3);
    assertEntity(e.get(1), "I-PER", 0.8, 2, "love", 4, 8);
    assertEntity(e.get(2), "B-LOC", 0.5, 3, "##lace", 8, 12);
    assertEntity(e.get(3), "B-LOC", 0.7, 5, "zu", 21, 23);
    assertEntity(e.get(4), "I-LOC", 0.75, 6, "##rich", 23, 27);
    assertEquals(false, e.get(0).grouped());
  }

  @Test
  void simpleGroupsTokensAndMaySplitAWord() {
    List<Entity> e = run(AggregationStrategy.SIMPLE);
    assertEquals(3, e.size(), e.toString());
    // B-PER, I-PER: one group, mean score; "##lace" (B-LOC) opens its own group.
    assertEntity(e.get(0), "PER", (0.9 + 0.8) / 2, null, "ada love", 0, 8);
    assertEntity(e.get(1), "LOC", 0.5, null, "##lace", 8, 12);
    assertEntity(e.get(2), "LOC", (0.7 + 0.75) / 2, null, "zurich", 21, 27);
    assertEquals(true, e.get(0).grouped());
  }

  @Test
  void firstTakesAWordsFirstToken() {
    List<Entity> e = run(AggregationStrategy.FIRST);
    assertEquals(2, e.size(), e.toString());
    // "lovelace" takes "love"'s I-PER 0.8; "zurich" takes "zu"'s B-LOC 0.7.
    assertEntity(e.get(0), "PER", (0.9 + 0.8) / 2, null, "ada lovelace", 0, 12);
    assertEntity(e.get(1), "LOC", 0.7, null, "zurich", 21, 27);
  }

  @Test
  void averageMeansAWordsDistributions() {
    List<Entity> e = run(AggregationStrategy.AVERAGE);
    assertEquals(2, e.size(), e.toString());
    // lovelace: mean (0.075, 0.035, 0.6, 0.265, 0.025) -> I-PER 0.6.
    // zurich: mean (0.1, 0.05, 0.05, 0.375, 0.425) -> I-LOC 0.425, which opens a LOC group after O.
    assertEntity(e.get(0), "PER", (0.9 + 0.6) / 2, null, "ada lovelace", 0, 12);
    assertEntity(e.get(1), "LOC", 0.425, null, "zurich", 21, 27);
  }

  @Test
  void maxTakesAWordsMostConfidentToken() {
    List<Entity> e = run(AggregationStrategy.MAX);
    assertEquals(2, e.size(), e.toString());
    // lovelace: "love" (0.8) beats "##lace" (0.5); zurich: "##rich" (0.75) beats "zu" (0.7).
    assertEntity(e.get(0), "PER", (0.9 + 0.8) / 2, null, "ada lovelace", 0, 12);
    assertEntity(e.get(1), "LOC", 0.75, null, "zurich", 21, 27);
  }

  @Test
  void twoConsecutiveBTagsAreTwoEntities() {
    // The docstring's example: (A, B-TAG), (B, I-TAG), (C, I-TAG), (D, B-TAG2), (E, B-TAG2)
    // -> ABC as TAG, D as TAG2, E as TAG2.
    List<String> labels = List.of("O", "B-TAG", "I-TAG", "B-TAG2", "I-TAG2");
    double[] bTag = {0, 1, 0, 0, 0};
    double[] iTag = {0, 0, 1, 0, 0};
    double[] bTag2 = {0, 0, 0, 1, 0};
    List<Token> tokens =
        List.of(
            new Token("a", 0, 1, 1, false, bTag),
            new Token("b", 2, 3, 2, false, iTag),
            new Token("c", 4, 5, 3, false, iTag),
            new Token("d", 6, 7, 4, false, bTag2),
            new Token("e", 8, 9, 5, false, bTag2));
    List<Entity> e =
        EntityAggregation.window(tokens, labels, AggregationStrategy.SIMPLE, IGNORE, JOIN);
    assertEquals(3, e.size(), e.toString());
    assertEntity(e.get(0), "TAG", 1, null, "a b c", 0, 5);
    assertEntity(e.get(1), "TAG2", 1, null, "d", 6, 7);
    assertEntity(e.get(2), "TAG2", 1, null, "e", 8, 9);
  }

  @Test
  void labelsWithoutBioPrefixGroupByName() {
    List<String> labels = List.of("O", "PER");
    List<Token> tokens =
        List.of(
            new Token("ada", 0, 3, 1, false, new double[] {0.2, 0.8}),
            new Token("king", 4, 8, 2, false, new double[] {0.4, 0.6}),
            new Token("sang", 9, 13, 3, false, new double[] {0.9, 0.1}));
    List<Entity> e =
        EntityAggregation.window(tokens, labels, AggregationStrategy.SIMPLE, IGNORE, JOIN);
    assertEquals(1, e.size(), e.toString());
    assertEntity(e.get(0), "PER", 0.7, null, "ada king", 0, 8);
  }

  @Test
  void softmaxOfLogits() {
    double[] p = EntityAggregation.softmax(new float[] {0f, (float) Math.log(3)});
    assertEquals(0.25, p[0], 1e-7);
    assertEquals(0.75, p[1], 1e-7);
  }

  @Test
  void overlappingWindowsKeepTheLongerThenTheSurer() {
    Entity per = new Entity("PER", 0.85f, null, "ada love", 0, 8, true);
    Entity zu = new Entity("LOC", 0.7f, null, "zu", 21, 23, true);
    Entity zurich = new Entity("LOC", 0.6f, null, "zurich", 21, 27, true);
    Entity perAgain = new Entity("PER", 0.9f, null, "ada love", 0, 8, true);
    Entity later = new Entity("LOC", 0.3f, null, "x", 30, 31, true);
    assertEquals(
        List.of(perAgain, zurich, later),
        EntityAggregation.mergeWindows(List.of(per, zu, later, zurich, perAgain)));
    // Touching is not overlapping: [0, 8) and [8, 12) both stay.
    Entity lace = new Entity("LOC", 0.5f, null, "##lace", 8, 12, true);
    assertEquals(List.of(per, lace), EntityAggregation.mergeWindows(List.of(lace, per)));
  }

  @Test
  void windowsOverlapByTheStride() {
    assertEquals(
        List.of("[0, 4]", "[3, 7]", "[6, 10]"),
        TokenWindows.of(10, 4, 1).stream().map(java.util.Arrays::toString).toList());
    assertEquals(
        List.of("[0, 3]"),
        TokenWindows.of(3, 4, 2).stream().map(java.util.Arrays::toString).toList());
    assertEquals(
        List.of("[0, 4]", "[2, 6]"),
        TokenWindows.of(6, 4, 2).stream().map(java.util.Arrays::toString).toList());
    assertEquals(1, TokenWindows.of(0, 4, 0).size());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> TokenWindows.of(10, 4, 4));
  }
}
