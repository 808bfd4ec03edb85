package io.maaskit.model.task.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Picks the next token of one sequence from a row of logits: penalties (repetition over prompt and
 * output, presence and frequency over the output), then greedy argmax at temperature 0, else
 * temperature, top-k, top-p and a draw from the sequence's own seeded random stream. Also gives the
 * row's log-probabilities (of the unmodified distribution, as vLLM reports them by default).
 */
public final class Sampler {
  /** Resolved settings; see {@link io.maaskit.model.task.SamplingParams}. */
  public record Settings(
      double temperature,
      double topP,
      int topK,
      double repetitionPenalty,
      double presencePenalty,
      double frequencyPenalty) {}

  private final Settings s;
  private final SplittableRandom random;
  private final boolean[] inPrompt;
  private final Map<Integer, Integer> counts = new HashMap<>();

  /**
   * @param promptIds the prompt, for the repetition penalty
   * @param vocab rows' length
   */
  public Sampler(Settings settings, long seed, int[] promptIds, int vocab) {
    this.s = settings;
    this.random = new SplittableRandom(seed);
    this.inPrompt = new boolean[vocab];
    if (settings.repetitionPenalty() != 1.0) {
      for (int id : promptIds) {
        if (id >= 0 && id < vocab) {
          inPrompt[id] = true;
        }
      }
    }
  }

  /** Records a generated token (for the penalties). */
  public void accept(int id) {
    counts.merge(id, 1, Integer::sum);
  }

  /** The next token for a row of logits (the row is not modified). */
  public int sample(float[] logits) {
    double[] x = new double[logits.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = logits[i];
    }
    if (s.repetitionPenalty() != 1.0) {
      double p = s.repetitionPenalty();
      for (int i = 0; i < x.length; i++) {
        if (inPrompt[i] || counts.containsKey(i)) {
          x[i] = x[i] > 0 ? x[i] / p : x[i] * p;
        }
      }
    }
    if (s.presencePenalty() != 0 || s.frequencyPenalty() != 0) {
      for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
        int i = e.getKey();
        if (i >= 0 && i < x.length) {
          x[i] -= s.presencePenalty() + s.frequencyPenalty() * e.getValue();
        }
      }
    }
    if (s.temperature() == 0) {
      return argmax(x);
    }
    int[] order = null;
    int keep = x.length;
    if (s.topK() > 0 && s.topK() < x.length) {
      order = top(x, s.topK());
      keep = s.topK();
    } else if (s.topP() < 1.0) {
      order = descending(x);
    }
    double max = Double.NEGATIVE_INFINITY;
    for (double v : x) {
      max = Math.max(max, v);
    }
    if (order == null) {
      double sum = 0;
      double[] w = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        w[i] = Math.exp((x[i] - max) / s.temperature());
        sum += w[i];
      }
      double r = random.nextDouble() * sum;
      for (int i = 0; i < w.length; i++) {
        r -= w[i];
        if (r < 0) {
          return i;
        }
      }
      return argmax(x);
    }
    double[] w = new double[keep];
    double sum = 0;
    for (int j = 0; j < keep; j++) {
      w[j] = Math.exp((x[order[j]] - max) / s.temperature());
      sum += w[j];
    }
    if (s.topP() < 1.0) {
      double mass = 0;
      int cut = keep;
      for (int j = 0; j < keep; j++) {
        mass += w[j] / sum;
        if (mass >= s.topP()) {
          cut = j + 1;
          break;
        }
      }
      keep = cut;
      sum = 0;
      for (int j = 0; j < keep; j++) {
        sum += w[j];
      }
    }
    double r = random.nextDouble() * sum;
    for (int j = 0; j < keep; j++) {
      r -= w[j];
      if (r < 0) {
        return order[j];
      }
    }
    return order[0];
  }

  private static int argmax(double[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      if (x[i] > x[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Indices by value, largest first, ties by index (stable, so draws are reproducible). */
  private static int[] descending(double[] x) {
    Integer[] idx = new Integer[x.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> Double.compare(x[b], x[a]));
    int[] out = new int[idx.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = idx[i];
    }
    return out;
  }

  /** Natural-log softmax of a row, in double precision. */
  public static double[] logSoftmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : logits) {
      sum += Math.exp(v - max);
    }
    double lse = max + Math.log(sum);
    double[] out = new double[logits.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = logits[i] - lse;
    }
    return out;
  }

  /** The {@code k} largest entries' indices, largest first (ties by index). */
  public static int[] top(double[] x, int k) {
    int n = Math.min(k, x.length);
    int[] best = new int[n];
    int filled = 0;
    for (int i = 0; i < x.length; i++) {
      if (filled < n || x[i] > x[best[filled - 1]]) {
        int j = filled < n ? filled++ : n - 1;
        while (j > 0 && x[best[j - 1]] < x[i]) {
          best[j] = best[j - 1];
          j--;
        }
        best[j] = i;
      }
    }
    return best;
  }
}
