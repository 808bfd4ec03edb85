package io.maaskit.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Interleaved, paired trials: two sides measured alternately, round after round, in one process, so
 * that a host whose speed drifts (another tenant, thermal or memory-bandwidth changes) slows both
 * sides of a pair alike. Each round measures both sides once, in alternating order (A then B, then
 * B then A, so neither side always runs first after the other warmed the caches); the figure
 * reported is the median of the per-round ratios, with their spread, not a ratio of two medians
 * taken at different times.
 *
 * <pre>{@code
 * PairedTrials.Result r =
 *     new PairedTrials(9).run("maaskit", () -> p50(ours), "langchain4j", () -> p50(peer));
 * r.medianRatio();  // e.g. 0.74 (ours / peer)
 * r.q1Ratio(); r.q3Ratio();  // the spread
 * }</pre>
 *
 * <p>Generation and embeddings alike: a side is anything that returns one figure per call (a
 * latency in ms, a throughput in inputs/s).
 */
public final class PairedTrials {
  private final int rounds;

  /** Trials of {@code rounds} rounds (at least 3, so a median and a spread exist). */
  public PairedTrials(int rounds) {
    if (rounds < 3) {
      throw new IllegalArgumentException("paired trials need at least 3 rounds, got " + rounds);
    }
    this.rounds = rounds;
  }

  /**
   * What the trials measured.
   *
   * @param a name of side A
   * @param b name of side B
   * @param aValues side A's figure per round, in round order
   * @param bValues side B's figure per round
   * @param ratios A / B per round
   */
  public record Result(String a, String b, double[] aValues, double[] bValues, double[] ratios) {
    /** Median of the per-round ratios A / B. */
    public double medianRatio() {
      return quantile(ratios, 0.5);
    }

    /** First quartile of the per-round ratios. */
    public double q1Ratio() {
      return quantile(ratios, 0.25);
    }

    /** Third quartile of the per-round ratios. */
    public double q3Ratio() {
      return quantile(ratios, 0.75);
    }

    /** Smallest per-round ratio. */
    public double minRatio() {
      return Arrays.stream(ratios).min().orElse(Double.NaN);
    }

    /** Largest per-round ratio. */
    public double maxRatio() {
      return Arrays.stream(ratios).max().orElse(Double.NaN);
    }

    /** Median of side A's figures. */
    public double medianA() {
      return quantile(aValues, 0.5);
    }

    /** Median of side B's figures. */
    public double medianB() {
      return quantile(bValues, 0.5);
    }

    /** The figures as a JSON-friendly map (for bench/results.json). */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("a", a);
      m.put("b", b);
      m.put("rounds", ratios.length);
      m.put("median_ratio", medianRatio());
      m.put("q1_ratio", q1Ratio());
      m.put("q3_ratio", q3Ratio());
      m.put("min_ratio", minRatio());
      m.put("max_ratio", maxRatio());
      m.put("median_a", medianA());
      m.put("median_b", medianB());
      m.put("a_values", aValues.clone());
      m.put("b_values", bValues.clone());
      m.put("ratios", ratios.clone());
      return m;
    }
  }

  /** Runs the rounds; each supplier call measures its side once and returns the figure. */
  public Result run(String a, DoubleSupplier sideA, String b, DoubleSupplier sideB) {
    double[] av = new double[rounds];
    double[] bv = new double[rounds];
    double[] ratios = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      if (r % 2 == 0) {
        av[r] = sideA.getAsDouble();
        bv[r] = sideB.getAsDouble();
      } else {
        bv[r] = sideB.getAsDouble();
        av[r] = sideA.getAsDouble();
      }
      ratios[r] = av[r] / bv[r];
    }
    return new Result(a, b, av, bv, ratios);
  }

  /** Linear-interpolated quantile {@code q} in [0, 1] of {@code values} (NaN when empty). */
  public static double quantile(double[] values, double q) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] s = values.clone();
    Arrays.sort(s);
    double pos = q * (s.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = (int) Math.ceil(pos);
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
  }

  /**
   * Latency of {@code calls} calls of {@code op} (after {@code warmup} unmeasured ones): the
   * quantile {@code q} of the per-call times, in ms.
   */
  public static double latencyMs(Runnable op, int warmup, int calls, double q) {
    for (int i = 0; i < warmup; i++) {
      op.run();
    }
    List<Double> t = new ArrayList<>(calls);
    for (int i = 0; i < calls; i++) {
      long t0 = System.nanoTime();
      op.run();
      t.add((System.nanoTime() - t0) / 1e6);
    }
    return quantile(t.stream().mapToDouble(Double::doubleValue).toArray(), q);
  }
}
