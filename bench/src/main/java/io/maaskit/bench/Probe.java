package io.maaskit.bench;

import java.util.Arrays;
import java.util.List;

/**
 * A quick look outside JMH, for profiling sessions: {@code Probe IMPL DTYPE short|long|N
 * [ITERATIONS]} loads one side, warms it up and prints per-call wall times (min / p50 / max) and
 * inputs/s. Same system properties as the JMH runs.
 */
public final class Probe {
  private Probe() {}

  public static void main(String[] args) {
    String impl = args[0];
    String dtype = args[1];
    String what = args[2];
    int iterations = args.length > 3 ? Integer.parseInt(args[3]) : 50;
    List<String> batch =
        what.equals("short") || what.equals("long") ? null : Corpus.batch(Integer.parseInt(what));
    String one = batch == null ? Corpus.single(what) : null;
    try (Subject s = Subject.open(impl, dtype)) {
      long[] t = new long[iterations];
      for (int i = -Math.max(3, iterations / 5); i < iterations; i++) {
        long t0 = System.nanoTime();
        if (batch == null) {
          s.embedOne(one);
        } else {
          s.embed(batch);
        }
        if (i >= 0) {
          t[i] = System.nanoTime() - t0;
        }
      }
      Arrays.sort(t);
      int n = batch == null ? 1 : batch.size();
      System.out.printf(
          "%s %s %s: min %.2f ms, p50 %.2f ms, max %.2f ms, %.1f inputs/s at p50%n",
          impl,
          dtype,
          what,
          t[0] / 1e6,
          t[iterations / 2] / 1e6,
          t[iterations - 1] / 1e6,
          n / (t[iterations / 2] / 1e9));
    }
  }
}
