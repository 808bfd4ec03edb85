package io.maaskit.model.task.internal;

import io.maaskit.model.task.Answers.Answer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Hugging Face's {@code QuestionAnsweringPipeline} span choice, written from its documented
 * behaviour: per window, start and end logits outside the context (question, separators, padding;
 * not [CLS]) are masked to -10000, each is softmaxed over the window, "no answer" scores {@code
 * p_start[CLS] * p_end[CLS]} (the lowest over windows), [CLS] is then zeroed, a span (s, e) of
 * context tokens with {@code s <= e < s + maxAnswerLength} scores {@code p_start[s] * p_end[e]},
 * its characters are widened to whole words ({@code align_to_words}), and the best {@code topK}
 * over all windows win.
 */
public final class SpanSelection {
  private SpanSelection() {}

  /**
   * One window of a (question, context) sequence.
   *
   * @param start start logits of every position
   * @param end end logits of every position
   * @param context whether each position is a context token
   * @param charStart each context position's first character in the context
   * @param charEnd one past its last
   * @param word each context position's word index (tokens of one word share it)
   */
  public record Window(
      float[] start, float[] end, boolean[] context, int[] charStart, int[] charEnd, int[] word) {}

  /** The best {@code topK} answers over all windows. */
  public static List<Answer> select(
      List<Window> windows,
      String context,
      int topK,
      int maxAnswerLength,
      boolean handleImpossible) {
    List<Answer> answers = new ArrayList<>();
    double noAnswer = Double.POSITIVE_INFINITY;
    for (Window w : windows) {
      double[] ps = probabilities(w.start(), w.context());
      double[] pe = probabilities(w.end(), w.context());
      noAnswer = Math.min(noAnswer, ps[0] * pe[0]);
      List<double[]> spans = new ArrayList<>();
      int n = ps.length;
      for (int s = 1; s < n; s++) {
        if (!w.context()[s]) {
          continue;
        }
        for (int e = s; e < Math.min(n, s + maxAnswerLength); e++) {
          if (w.context()[e]) {
            spans.add(new double[] {ps[s] * pe[e], s, e});
          }
        }
      }
      spans.sort(Comparator.comparingDouble((double[] x) -> -x[0]));
      for (double[] x : spans.subList(0, Math.min(topK, spans.size()))) {
        int s = (int) x[1];
        int e = (int) x[2];
        int from = w.charStart()[firstOfWord(w, s)];
        int to = w.charEnd()[lastOfWord(w, e)];
        answers.add(new Answer(context.substring(from, to), (float) x[0], from, to));
      }
    }
    if (handleImpossible && !windows.isEmpty()) {
      answers.add(new Answer("", (float) noAnswer, 0, 0));
    }
    answers.sort(Comparator.comparingDouble((Answer a) -> -a.score()));
    return List.copyOf(answers.subList(0, Math.min(topK, answers.size())));
  }

  /** Softmax over the window with non-context positions but [CLS] masked to -10000. */
  private static double[] probabilities(float[] logits, boolean[] context) {
    double[] p = new double[logits.length];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < p.length; i++) {
      p[i] = i == 0 || context[i] ? logits[i] : -10000.0;
      max = Math.max(max, p[i]);
    }
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.exp(p[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** The window's first context position of the word at {@code pos}. */
  private static int firstOfWord(Window w, int pos) {
    int i = pos;
    while (i - 1 > 0 && w.context()[i - 1] && w.word()[i - 1] == w.word()[pos]) {
      i--;
    }
    return i;
  }

  /** The window's last context position of the word at {@code pos}. */
  private static int lastOfWord(Window w, int pos) {
    int i = pos;
    while (i + 1 < w.context().length && w.context()[i + 1] && w.word()[i + 1] == w.word()[pos]) {
      i++;
    }
    return i;
  }
}
