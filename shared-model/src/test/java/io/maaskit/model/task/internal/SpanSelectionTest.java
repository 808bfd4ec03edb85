package io.maaskit.model.task.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.maaskit.model.task.Answers.Answer;
import io.maaskit.model.task.internal.SpanSelection.Window;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hugging Face's question-answering span choice, expected answers worked by hand from the
 * pipeline's documented behaviour: softmax of start and end logits over the window with everything
 * but [CLS] and the context masked, span score {@code p_start * p_end}, at most {@code
 * max_answer_len} tokens, "no answer" scored by [CLS], answers widened to whole words.
 */
class SpanSelectionTest {
  private static final float LN2 = (float) Math.log(2), LN3 = (float) Math.log(3);
  private static final String CONTEXT = "Paris is big";

  /**
   * {@code [CLS] where [SEP] paris is [SEP]}: the question and separators carry huge logits, which
   * the mask must neutralise. Start: exp over (CLS, paris, is) = (1, 2, 1), so p = (.25, .5, .25);
   * end: (1, 1, 3), so p = (.2, .2, .6).
   */
  private static Window window() {
    return new Window(
        new float[] {0, 50, 50, LN2, 0, 50},
        new float[] {0, 50, 50, 0, LN3, 50},
        new boolean[] {false, false, false, true, true, false},
        new int[] {0, 0, 0, 0, 6, 0},
        new int[] {0, 0, 0, 5, 8, 0},
        new int[] {0, 0, 0, 0, 1, 0});
  }

  private static void assertAnswer(Answer a, String text, double score, int start, int end) {
    assertEquals(text, a.text(), a.toString());
    assertEquals(score, a.score(), 1e-6, a.toString());
    assertEquals(start, a.start(), a.toString());
    assertEquals(end, a.end(), a.toString());
  }

  @Test
  void bestSpanIsTheLargestStartTimesEnd() {
    List<Answer> a = SpanSelection.select(List.of(window()), CONTEXT, 1, 15, false);
    assertEquals(1, a.size());
    // (paris, is) = .5 * .6 = .3 beats (is, is) = .25 * .6 = .15 and (paris, paris) = .5 * .2.
    assertAnswer(a.get(0), "Paris is", 0.3, 0, 8);
  }

  @Test
  void topKInScoreOrder() {
    List<Answer> a = SpanSelection.select(List.of(window()), CONTEXT, 3, 15, false);
    assertEquals(3, a.size());
    assertAnswer(a.get(0), "Paris is", 0.3, 0, 8);
    assertAnswer(a.get(1), "is", 0.15, 6, 8);
    assertAnswer(a.get(2), "Paris", 0.1, 0, 5);
    // Only three spans exist (end never before start): a larger top_k gives three.
    assertEquals(3, SpanSelection.select(List.of(window()), CONTEXT, 10, 15, false).size());
  }

  @Test
  void maxAnswerLengthCountsTokens() {
    List<Answer> a = SpanSelection.select(List.of(window()), CONTEXT, 1, 1, false);
    assertAnswer(a.get(0), "is", 0.15, 6, 8);
  }

  @Test
  void impossibleAnswerScoredByCls() {
    // p_start[CLS] * p_end[CLS] = .25 * .2 = .05: below the three spans.
    List<Answer> a = SpanSelection.select(List.of(window()), CONTEXT, 4, 15, true);
    assertEquals(4, a.size());
    assertAnswer(a.get(3), "", 0.05, 0, 0);
    // With CLS at logit ln 12 for both: start exp (12, 2, 1) / 15, end (12, 1, 3) / 16;
    // no answer = .8 * .75 = .6 beats (paris, is) = 2/15 * 3/16 = .025.
    Window w = window();
    w.start()[0] = (float) Math.log(12);
    w.end()[0] = (float) Math.log(12);
    List<Answer> b = SpanSelection.select(List.of(w), CONTEXT, 2, 15, true);
    assertAnswer(b.get(0), "", 0.6, 0, 0);
    assertAnswer(b.get(1), "Paris is", 2.0 / 15 * 3.0 / 16, 0, 8);
    // Without handle_impossible_answer, [CLS] only dilutes the probabilities.
    assertAnswer(
        SpanSelection.select(List.of(w), CONTEXT, 1, 15, false).get(0),
        "Paris is",
        2.0 / 15 * 3.0 / 16,
        0,
        8);
  }

  @Test
  void spansWidenToWholeWords() {
    // "Lovelace" is read as love (0..4) + ##lace (4..8), one word: a span on "##lace" alone
    // answers the whole word.
    Window w =
        new Window(
            new float[] {0, 50, 0, 5},
            new float[] {0, 50, 0, 5},
            new boolean[] {false, false, true, true},
            new int[] {0, 0, 0, 4},
            new int[] {0, 0, 4, 8},
            new int[] {0, 0, 0, 0});
    Answer a = SpanSelection.select(List.of(w), "Lovelace", 1, 15, false).get(0);
    assertEquals("Lovelace", a.text());
    assertEquals(0, a.start());
    assertEquals(8, a.end());
  }

  @Test
  void bestOverWindowsAndLowestNoAnswer() {
    // A second window over "big" (9..12) whose only span scores 1 * .5 (end CLS half).
    Window second =
        new Window(
            new float[] {-50, 50, 50, 50},
            new float[] {0, 50, 50, 0},
            new boolean[] {false, false, false, true},
            new int[] {0, 0, 0, 9},
            new int[] {0, 0, 0, 12},
            new int[] {0, 0, 0, 2});
    // Context "Paris is big" but with a [SEP] at the end of the second window dropped: the
    // window holds [CLS] q [SEP] big.
    List<Answer> a = SpanSelection.select(List.of(window(), second), CONTEXT, 2, 15, true);
    assertAnswer(a.get(0), "big", 0.5, 9, 12);
    assertAnswer(a.get(1), "Paris is", 0.3, 0, 8);
    // No answer is the lowest [CLS] score over windows: window 2's is ~0 (start -50).
    Answer none = SpanSelection.select(List.of(window(), second), CONTEXT, 10, 15, true).get(4);
    assertEquals("", none.text());
    assertEquals(0, none.score(), 1e-12);
  }
}
