package io.maaskit.tools.quant;

import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextGenerator.KvCache;
import io.maaskit.model.store.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares a reference generator (float32) with a candidate (int8) on next-token prediction: both
 * read the same calibration texts token by token (teacher forcing, the texts batched), and at every
 * position the gate records whether their most likely next tokens agree and the Kullback-Leibler
 * divergence {@code KL(reference || candidate)} of their next-token distributions. It passes when
 * the top-1 agreement over all positions reaches {@code minTop1} and the mean KL stays at or below
 * {@code maxMeanKl}.
 *
 * <pre>{@code
 * GeneratorGate.Result r = new GeneratorGate(0.9, 0.05, 64).measure(fp32, int8, texts, progress);
 * }</pre>
 */
public final class GeneratorGate {
  /** Default minimum top-1 agreement of next-token predictions. */
  public static final double DEFAULT_MIN_TOP1 = 0.90;

  /** Default maximum mean KL divergence (nats) of next-token distributions. */
  public static final double DEFAULT_MAX_MEAN_KL = 0.05;

  /** Tokens read per calibration text. */
  public static final int DEFAULT_MAX_TOKENS = 64;

  private static final int CHUNK =
      64; // texts per batch: a decode step costs about the same for 1 or 64

  private final double minTop1;
  private final double maxMeanKl;
  private final int maxTokens;

  /** A gate with the given thresholds, reading at most {@code maxTokens} tokens per text. */
  public GeneratorGate(double minTop1, double maxMeanKl, int maxTokens) {
    if (!(minTop1 >= 0 && minTop1 <= 1)) {
      throw new IllegalArgumentException("min top-1 agreement must be in [0, 1], got " + minTop1);
    }
    if (!(maxMeanKl >= 0)) {
      throw new IllegalArgumentException("max mean KL must be >= 0, got " + maxMeanKl);
    }
    if (maxTokens < 2) {
      throw new IllegalArgumentException("the gate needs at least two tokens per text");
    }
    this.minTop1 = minTop1;
    this.maxMeanKl = maxMeanKl;
    this.maxTokens = maxTokens;
  }

  /**
   * What the gate measured.
   *
   * @param minTop1 the gate's minimum top-1 agreement
   * @param maxMeanKl the gate's maximum mean KL
   * @param top1Agreement fraction of positions where both models' most likely token is the same
   * @param meanKl mean KL(reference || candidate) over all positions, in nats
   * @param positions number of positions compared
   * @param inputs number of texts read
   * @param worstIndex the text with the highest mean KL
   * @param worstInput that text
   * @param worstKl its mean KL
   */
  public record Result(
      double minTop1,
      double maxMeanKl,
      double top1Agreement,
      double meanKl,
      int positions,
      int inputs,
      int worstIndex,
      String worstInput,
      double worstKl) {
    /** Whether both thresholds hold. */
    public boolean passed() {
      return top1Agreement >= minTop1 && meanKl <= maxMeanKl;
    }
  }

  /** Reads {@code texts} with both generators and compares their next-token predictions. */
  public Result measure(
      TextGenerator reference, TextGenerator candidate, List<String> texts, Progress progress) {
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("the accuracy gate needs at least one input");
    }
    if (reference.vocabSize() != candidate.vocabSize()) {
      throw new IllegalArgumentException("the generators' vocabularies differ");
    }
    int limit = Math.min(maxTokens, Math.min(reference.contextLength(), candidate.contextLength()));
    double[] klSum = new double[texts.size()];
    int[] counted = new int[texts.size()];
    long agree = 0;
    long positions = 0;
    double totalKl = 0;
    for (int start = 0; start < texts.size(); start += CHUNK) {
      int end = Math.min(texts.size(), start + CHUNK);
      List<int[]> ids = new ArrayList<>();
      for (int i = start; i < end; i++) {
        int[] t = reference.tokenizer().encode(texts.get(i), true);
        ids.add(Arrays.copyOf(t, Math.min(t.length, limit)));
      }
      List<KvCache> refCaches = new ArrayList<>();
      List<KvCache> candCaches = new ArrayList<>();
      try {
        for (int i = 0; i < ids.size(); i++) {
          refCaches.add(reference.newCache());
          candCaches.add(candidate.newCache());
        }
        int longest = ids.stream().mapToInt(a -> a.length).max().orElse(0);
        for (int pos = 0; pos < longest; pos++) {
          List<KvCache> r = new ArrayList<>();
          List<KvCache> c = new ArrayList<>();
          List<int[]> step = new ArrayList<>();
          List<Integer> who = new ArrayList<>();
          for (int i = 0; i < ids.size(); i++) {
            if (pos < ids.get(i).length) {
              r.add(refCaches.get(i));
              c.add(candCaches.get(i));
              step.add(new int[] {ids.get(i)[pos]});
              who.add(start + i);
            }
          }
          float[][] a = reference.forward(r, step);
          float[][] b = candidate.forward(c, step);
          for (int k = 0; k < who.size(); k++) {
            double kl = kl(a[k], b[k]);
            int text = who.get(k);
            klSum[text] += kl;
            counted[text]++;
            totalKl += kl;
            positions++;
            if (argmax(a[k]) == argmax(b[k])) {
              agree++;
            }
          }
        }
      } finally {
        refCaches.forEach(KvCache::close);
        candCaches.forEach(KvCache::close);
      }
      progress.update(
          "accuracy gate: texts read by float32 and int8 and compared", end, texts.size());
    }
    int worst = 0;
    for (int i = 1; i < texts.size(); i++) {
      if (counted[i] > 0 && klSum[i] / counted[i] > klSum[worst] / Math.max(1, counted[worst])) {
        worst = i;
      }
    }
    double meanKl = positions == 0 ? Double.NaN : totalKl / positions;
    double top1 = positions == 0 ? 0 : (double) agree / positions;
    return new Result(
        minTop1,
        maxMeanKl,
        top1,
        Double.isNaN(meanKl) ? Double.POSITIVE_INFINITY : meanKl,
        (int) positions,
        texts.size(),
        worst,
        texts.get(worst),
        klSum[worst] / Math.max(1, counted[worst]));
  }

  /** KL(p || q) of the softmax distributions of two logit rows, in nats; +inf on NaN. */
  static double kl(float[] p, float[] q) {
    double[] lp = logSoftmax(p);
    double[] lq = logSoftmax(q);
    double kl = 0;
    for (int i = 0; i < lp.length; i++) {
      kl += Math.exp(lp[i]) * (lp[i] - lq[i]);
    }
    return Double.isNaN(kl) ? Double.POSITIVE_INFINITY : Math.max(0, kl);
  }

  private static double[] logSoftmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - max);
    }
    double logZ = max + Math.log(sum);
    double[] out = new double[logits.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = logits[i] - logZ;
    }
    return out;
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
