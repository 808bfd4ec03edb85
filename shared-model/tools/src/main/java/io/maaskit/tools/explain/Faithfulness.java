package io.maaskit.tools.explain;

import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.Explainable.Spans;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.task.ExplainMethod;
import io.maaskit.model.task.ExplainService;
import io.maaskit.model.task.ExplainService.Attribution;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;

/**
 * ERASER faithfulness (DeYoung et al., 2020) of the attribution methods on a classifier, and the
 * completeness of Integrated Gradients.
 *
 * <p>Per text, the predicted label y and p = p(y | x). For each method the non-special tokens are
 * ranked by attribution (highest first) and, for k in {@link #PERCENTS}, the top k % (at least one
 * token) are removed (comprehensiveness: p - p(y | x without them), higher is more faithful) or
 * kept alone (sufficiency: p - p(y | only them), lower is more faithful); special tokens stay. Each
 * is averaged over the k's and the texts. A random ranking (seeded) is the floor a method must
 * beat. Every {@link ExplainMethod} is measured, occlusion on the same (eager) model.
 *
 * <pre>{@code
 * Faithfulness.Report r = Faithfulness.run(model, texts, 64, List.of(16, 32, 64, 128), 42, log);
 * System.out.print(r.markdown());
 * }</pre>
 */
public final class Faithfulness {
  /** The ERASER bins: percent of tokens removed or kept. */
  public static final int[] PERCENTS = {1, 5, 10, 20, 50};

  private Faithfulness() {}

  /**
   * One method's scores.
   *
   * @param method method name ({@code random} for the floor)
   * @param comprehensiveness mean over bins and texts
   * @param sufficiency mean over bins and texts
   * @param seconds time spent computing the attributions
   */
  public record Row(String method, double comprehensiveness, double sufficiency, double seconds) {}

  /**
   * Integrated Gradients' completeness at one number of steps.
   *
   * @param steps quadrature nodes
   * @param medianRelative median over texts of gap / |p(x) - p(baseline)|
   * @param p90Relative 90th percentile of the same
   * @param p95Relative 95th percentile of the same
   * @param pooledRelative sum of gaps / sum of |p(x) - p(baseline)|
   * @param meanAbsolute mean gap in probability units
   */
  public record Gap(
      int steps,
      double medianRelative,
      double p90Relative,
      double p95Relative,
      double pooledRelative,
      double meanAbsolute) {}

  /** The whole measurement. */
  public record Report(int texts, int meanTokens, List<Row> rows, List<Gap> gaps, int steps) {
    /** Markdown tables, as the README shows them. */
    public String markdown() {
      StringBuilder b = new StringBuilder();
      b.append(
          String.format(
              Locale.ROOT,
              "%d texts, %d tokens on average; IG at %d steps; k in %s%%%n%n",
              texts,
              meanTokens,
              steps,
              Arrays.toString(PERCENTS)));
      b.append("| method | comprehensiveness (higher = better) | sufficiency (lower = better) |")
          .append(" s / text |\n|---|---|---|---|\n");
      for (Row r : rows) {
        b.append(
            String.format(
                Locale.ROOT,
                "| %s | %.3f | %.3f | %.2f |%n",
                r.method(),
                r.comprehensiveness(),
                r.sufficiency(),
                r.seconds() / texts));
      }
      b.append(
          "\n| IG steps | median relative gap | p90 relative gap | p95 relative gap |"
              + " pooled relative gap | mean absolute gap |\n|---|---|---|---|---|---|\n");
      for (Gap g : gaps) {
        b.append(
            String.format(
                Locale.ROOT,
                "| %d | %.4f %% | %.4f %% | %.4f %% | %.4f %% | %.2e |%n",
                g.steps(),
                100 * g.medianRelative(),
                100 * g.p90Relative(),
                100 * g.p95Relative(),
                100 * g.pooledRelative(),
                g.meanAbsolute()));
      }
      return b.toString();
    }
  }

  /**
   * Measures {@code model} on {@code texts}.
   *
   * @param steps Integrated Gradients steps for the faithfulness rows
   * @param gapSteps steps at which completeness is measured (the faithfulness run's own steps are
   *     reused, not recomputed)
   * @param seed the random ranking's seed
   * @param progress receives a line every few texts
   */
  public static Report run(
      Explainable model,
      List<String> texts,
      int steps,
      List<Integer> gapSteps,
      long seed,
      Consumer<String> progress) {
    TextClassifier classifier = (TextClassifier) model;
    ExplainMethod[] methods = ExplainMethod.values();
    String[] names = new String[methods.length + 1];
    for (int i = 0; i < methods.length; i++) {
      names[i] = methods[i].key();
    }
    names[methods.length] = "random";
    double[] comp = new double[names.length];
    double[] suff = new double[names.length];
    double[] secs = new double[names.length];
    List<List<double[]>> gaps = new ArrayList<>(); // per gap step: (gap, |delta|) per text
    for (int i = 0; i < gapSteps.size(); i++) {
      gaps.add(new ArrayList<>());
    }
    Random rng = new Random(seed);
    long tokens = 0;
    for (int t = 0; t < texts.size(); t++) {
      Spans s = model.spans(texts.get(t));
      tokens += s.length();
      float[] p0 = ExplainService.probabilities(model, s.tokens().ids(), s);
      int label = argmax(p0);
      for (int mi = 0; mi < names.length; mi++) {
        long t0 = System.nanoTime();
        float[] values;
        if (mi == methods.length) {
          values = new float[s.length()];
          for (int i = 0; i < values.length; i++) {
            values[i] = (float) rng.nextGaussian();
          }
        } else {
          ExplainMethod method = methods[mi];
          Attribution a = ExplainService.attribute(classifier, s, method, label, steps);
          values = a.values();
          if (method == ExplainMethod.INTEGRATED_GRADIENTS) {
            int at = gapSteps.indexOf(steps);
            if (at >= 0) {
              gaps.get(at).add(new double[] {a.gap(), Math.abs(a.score() - a.baseline())});
            }
          }
        }
        secs[mi] += (System.nanoTime() - t0) / 1e9;
        double[] cs = erase(classifier, s, values, label, p0[label]);
        comp[mi] += cs[0];
        suff[mi] += cs[1];
      }
      for (int g = 0; g < gapSteps.size(); g++) {
        if (gapSteps.get(g) == steps) {
          continue;
        }
        Attribution a =
            ExplainService.attribute(
                classifier, s, ExplainMethod.INTEGRATED_GRADIENTS, label, gapSteps.get(g));
        gaps.get(g).add(new double[] {a.gap(), Math.abs(a.score() - a.baseline())});
      }
      if ((t + 1) % 10 == 0 || t + 1 == texts.size()) {
        progress.accept(
            String.format(Locale.ROOT, "%d/%d texts%n", t + 1, texts.size())
                + report(t + 1, tokens, names, comp, suff, secs, gapSteps, gaps, steps).markdown());
      }
    }
    return report(texts.size(), tokens, names, comp, suff, secs, gapSteps, gaps, steps);
  }

  private static Report report(
      int n,
      long tokens,
      String[] names,
      double[] comp,
      double[] suff,
      double[] secs,
      List<Integer> gapSteps,
      List<List<double[]>> gaps,
      int steps) {
    List<Row> rows = new ArrayList<>();
    for (int mi = 0; mi < names.length; mi++) {
      rows.add(new Row(names[mi], comp[mi] / n, suff[mi] / n, secs[mi]));
    }
    List<Gap> gapRows = new ArrayList<>();
    for (int g = 0; g < gapSteps.size(); g++) {
      gapRows.add(gap(gapSteps.get(g), gaps.get(g)));
    }
    return new Report(n, (int) (tokens / Math.max(1, n)), rows, gapRows, steps);
  }

  /** Mean comprehensiveness and sufficiency over the bins, for one text and one ranking. */
  static double[] erase(TextClassifier classifier, Spans s, float[] values, int label, float p) {
    List<Integer> real = new ArrayList<>();
    for (int i = 0; i < s.length(); i++) {
      if (!s.special()[i]) {
        real.add(i);
      }
    }
    if (real.isEmpty()) {
      return new double[] {0, 0};
    }
    List<Integer> ranked = new ArrayList<>(real);
    ranked.sort(Comparator.comparingDouble((Integer i) -> -values[i]));
    List<Tokens> variants = new ArrayList<>();
    for (int k : PERCENTS) {
      int m = Math.max(1, (int) Math.round(k / 100.0 * real.size()));
      boolean[] top = new boolean[s.length()];
      for (int i = 0; i < m; i++) {
        top[ranked.get(i)] = true;
      }
      variants.add(subset(s, top, false));
      variants.add(subset(s, top, true));
    }
    float[][] probs = classifier.classify(variants);
    double c = 0;
    double q = 0;
    for (int b = 0; b < PERCENTS.length; b++) {
      c += p - probs[2 * b][label];
      q += p - probs[2 * b + 1][label];
    }
    return new double[] {c / PERCENTS.length, q / PERCENTS.length};
  }

  /** Specials plus the tokens marked {@code top} ({@code keep}) or not marked (remove). */
  private static Tokens subset(Spans s, boolean[] top, boolean keep) {
    long[] ids = new long[s.length()];
    long[] types = new long[s.length()];
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.special()[i] || top[i] == keep) {
        ids[n] = s.tokens().ids()[i];
        types[n] = s.tokens().typeIds()[i];
        n++;
      }
    }
    return new Tokens(Arrays.copyOf(ids, n), Arrays.copyOf(types, n));
  }

  private static Gap gap(int steps, List<double[]> rows) {
    double[] rel = new double[rows.size()];
    double gapSum = 0;
    double deltaSum = 0;
    for (int i = 0; i < rows.size(); i++) {
      double[] r = rows.get(i);
      rel[i] = r[1] > 0 ? r[0] / r[1] : 0;
      gapSum += r[0];
      deltaSum += r[1];
    }
    Arrays.sort(rel);
    double median = rel.length == 0 ? Double.NaN : rel[rel.length / 2];
    double p90 = percentile(rel, 90);
    return new Gap(
        steps,
        median,
        p90,
        percentile(rel, 95),
        deltaSum > 0 ? gapSum / deltaSum : 0,
        rows.isEmpty() ? Double.NaN : gapSum / rows.size());
  }

  /** The {@code q}-th percentile of sorted values (nearest rank); NaN when there are none. */
  private static double percentile(double[] sorted, int q) {
    return sorted.length == 0
        ? Double.NaN
        : sorted[Math.min(sorted.length - 1, sorted.length * q / 100)];
  }

  private static int argmax(float[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }
}
