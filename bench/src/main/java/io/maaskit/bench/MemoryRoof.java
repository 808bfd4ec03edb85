package io.maaskit.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CyclicBarrier;

/**
 * The machine's memory-bandwidth roof for decoding: {@code threads} threads each stream-read (and
 * sum) their share of an array much larger than the caches, best of N passes, in GB/s (10^9
 * bytes/s). A decoder that reads all its weights once per token cannot decode faster than this
 * bandwidth divided by its weight bytes.
 *
 * <pre>
 * MemoryRoof --threads 2 --mb 1024 --passes 20 --out bench/work/generation/roof.json
 * </pre>
 */
public final class MemoryRoof {
  private static volatile long sink;

  private MemoryRoof() {}

  public static void main(String[] args) throws Exception {
    int threads = Subject.threads();
    int mb = 1024;
    int passes = 20;
    Path out = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(args[i + 1]);
        case "--mb" -> mb = Integer.parseInt(args[i + 1]);
        case "--passes" -> passes = Integer.parseInt(args[i + 1]);
        case "--out" -> out = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    ObjectNode r = measure(threads, mb, passes);
    System.err.printf(
        "[generation] memory roof: %.1f GB/s best, %.1f GB/s median (%d threads, %d MB, %d passes)%n",
        r.path("gb_per_s_best").asDouble(),
        r.path("gb_per_s_median").asDouble(),
        threads,
        mb,
        passes);
    if (out != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
      new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), r);
    }
  }

  static ObjectNode measure(int threads, int mb, int passes) throws Exception {
    // One array per thread, allocated (and first touched) by that thread.
    long perThread = (long) mb * 1024 * 1024 / threads / Long.BYTES;
    long[][] parts = new long[threads][];
    double[] seconds = new double[passes];
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    CyclicBarrier end = new CyclicBarrier(threads + 1);
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int id = t;
      workers[t] =
          new Thread(
              () -> {
                try {
                  long[] a = new long[Math.toIntExact(perThread)];
                  for (int i = 0; i < a.length; i++) {
                    a[i] = i;
                  }
                  parts[id] = a;
                  long s = 0;
                  for (int p = -2; p < passes; p++) { // two warm-up passes for the JIT
                    start.await();
                    s += (p & 1) == 0 ? sum4(a) : sum8(a);
                    end.await();
                  }
                  sink += s;
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              "membw-" + t);
      workers[t].setDaemon(true);
      workers[t].start();
    }
    for (int p = -2; p < passes; p++) {
      start.await();
      long t0 = System.nanoTime();
      end.await();
      if (p >= 0) {
        seconds[p] = (System.nanoTime() - t0) / 1e9;
      }
    }
    double bytes = (double) perThread * Long.BYTES * threads;
    ObjectMapper json = new ObjectMapper();
    ObjectNode r = json.createObjectNode();
    r.put("threads", threads);
    r.put("bytes_per_pass", (long) bytes);
    r.put(
        "kernel",
        "sum of long[] with 4 (even passes) or 8 (odd passes) accumulators, one array per thread");
    ArrayNode all = r.putArray("gb_per_s");
    double best = 0;
    double[] sorted = new double[passes];
    for (int p = 0; p < passes; p++) {
      double g = bytes / seconds[p] / 1e9;
      all.add(Math.round(g * 100) / 100.0);
      best = Math.max(best, g);
      sorted[p] = g;
    }
    java.util.Arrays.sort(sorted);
    r.put("gb_per_s_best", Math.round(best * 100) / 100.0);
    r.put("gb_per_s_median", Math.round(sorted[passes / 2] * 100) / 100.0);
    return r;
  }

  /** Four independent accumulators: the loop C2 turns into the widest vector loads here. */
  private static long sum4(long[] a) {
    long s0 = 0;
    long s1 = 0;
    long s2 = 0;
    long s3 = 0;
    int i = 0;
    for (; i + 3 < a.length; i += 4) {
      s0 += a[i];
      s1 += a[i + 1];
      s2 += a[i + 2];
      s3 += a[i + 3];
    }
    for (; i < a.length; i++) {
      s0 += a[i];
    }
    return s0 + s1 + s2 + s3;
  }

  /** Eight accumulators (more loads in flight; on some machines the faster of the two). */
  private static long sum8(long[] a) {
    long s0 = 0;
    long s1 = 0;
    long s2 = 0;
    long s3 = 0;
    long s4 = 0;
    long s5 = 0;
    long s6 = 0;
    long s7 = 0;
    int i = 0;
    for (; i + 7 < a.length; i += 8) {
      s0 += a[i];
      s1 += a[i + 1];
      s2 += a[i + 2];
      s3 += a[i + 3];
      s4 += a[i + 4];
      s5 += a[i + 5];
      s6 += a[i + 6];
      s7 += a[i + 7];
    }
    for (; i < a.length; i++) {
      s0 += a[i];
    }
    return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
  }
}
