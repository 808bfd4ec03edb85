package io.maaskit.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * Generation decode as interleaved, paired trials ({@link PairedTrials}): the kit and Jlama each
 * run in their own JVM (Jlama on the Temurin 25 JDK), both loaded and warmed up once, kept alive
 * side by side, and asked for one decode each per round, alternately; the idle side waits on its
 * stdin and uses no CPU. The ratio reported is the median of the per-round ratios (kit / Jlama),
 * with quartiles and range, so that a host whose speed drifts between the two sides' runs slows
 * both sides of a pair alike.
 *
 * <p>A side is a command line (run with {@code bash -c}) that speaks a line protocol: it prints
 * {@code [pair] ready} on stdout once warm, then answers each {@code decode} line on its stdin with
 * {@code [pair] <tokens/s>}, and exits when stdin closes; other stdout lines are ignored, its
 * stderr goes to a log beside {@code --out}. {@link GenerationBench} and {@code JlamaGeneration} do
 * this with {@code --serve true} ({@link #serve}).
 *
 * <pre>
 * GenerationPairs --rounds 5 --out bench/work/generation/pairs-fp32.json \
 *     --a maaskit --a-cmd "java ... GenerationBench ... --serve true" \
 *     --b jlama --b-cmd "java25 ... JlamaGeneration ... --serve true"
 * </pre>
 */
public final class GenerationPairs {
  /** The prefix of the protocol's stdout lines. */
  static final String PREFIX = "[pair] ";

  private static final ObjectMapper JSON = new ObjectMapper();

  private GenerationPairs() {}

  public static void main(String[] args) throws Exception {
    int rounds = 5;
    Path out = null;
    String a = "maaskit";
    String b = "jlama";
    String aCmd = null;
    String bCmd = null;
    long timeoutS = 1800;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(v);
        case "--out" -> out = Path.of(v);
        case "--a" -> a = v;
        case "--b" -> b = v;
        case "--a-cmd" -> aCmd = v;
        case "--b-cmd" -> bCmd = v;
        case "--timeout-s" -> timeoutS = Long.parseLong(v);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (out == null || aCmd == null || bCmd == null) {
      throw new IllegalArgumentException("need --out, --a-cmd and --b-cmd");
    }
    PairedTrials trials = new PairedTrials(rounds);
    long limit = timeoutS;
    String stem = out.getFileName().toString().replaceFirst("\\.json$", "");
    try (Side sa = new Side(a, aCmd, out.resolveSibling(stem + "-" + a + ".log"));
        Side sb = new Side(b, bCmd, out.resolveSibling(stem + "-" + b + ".log"))) {
      // A side that hangs must not hang the bench: past the limit both are killed, and the
      // pending read fails naming the side's log.
      Thread watchdog =
          new Thread(
              () -> {
                try {
                  Thread.sleep(TimeUnit.SECONDS.toMillis(limit));
                  sa.kill();
                  sb.kill();
                } catch (InterruptedException e) {
                  // the trials finished in time
                }
              },
              "pairs-watchdog");
      watchdog.setDaemon(true);
      watchdog.start();
      // Both load before the first round; a side that fails here names its log.
      sa.awaitReady();
      sb.awaitReady();
      PairedTrials.Result r = trials.run(a, logged(sa), b, logged(sb));
      Map<String, Object> m = new LinkedHashMap<>(r.toMap());
      m.put(
          "how",
          "one greedy decode per side per round, alternating order; each side its own warm JVM,"
              + " kept loaded");
      Files.createDirectories(out.toAbsolutePath().getParent());
      JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), m);
      System.err.printf(
          Locale.ROOT,
          "[generation] paired decode %s / %s: median %.3f (quartiles %.3f-%.3f) over %d rounds%n",
          a,
          b,
          r.medianRatio(),
          r.q1Ratio(),
          r.q3Ratio(),
          rounds);
    }
  }

  private static DoubleSupplier logged(Side s) {
    return () -> {
      double v = s.measure();
      System.err.printf(Locale.ROOT, "[generation] paired %s: %.2f tokens/s%n", s.name, v);
      return v;
    };
  }

  /**
   * The side's half of the protocol, for a process that was started by {@link GenerationPairs}:
   * announces it is ready, then answers each {@code decode} line with one measurement until stdin
   * closes.
   */
  static void serve(DoubleSupplier decode) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.out.println(PREFIX + "ready");
    System.out.flush();
    for (String line; (line = in.readLine()) != null; ) {
      if (line.strip().equals("decode")) {
        System.out.println(PREFIX + decode.getAsDouble());
        System.out.flush();
      }
    }
  }

  /** One side's process. */
  private static final class Side implements AutoCloseable {
    private final String name;
    private final Path log;
    private final Process process;
    private final BufferedReader out;
    private final Writer in;

    Side(String name, String command, Path log) throws IOException {
      this.name = name;
      this.log = log;
      Files.createDirectories(log.toAbsolutePath().getParent());
      process =
          new ProcessBuilder(List.of("bash", "-c", command))
              .redirectError(ProcessBuilder.Redirect.to(log.toFile()))
              .start();
      out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    void awaitReady() throws IOException {
      String r = next();
      if (!r.equals("ready")) {
        throw new IOException(name + " said '" + r + "' instead of ready; see " + log);
      }
    }

    double measure() {
      try {
        in.write("decode\n");
        in.flush();
        return Double.parseDouble(next());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The next protocol line's payload; fails, naming the log, when the side has exited. */
    private String next() throws IOException {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith(PREFIX)) {
          return line.substring(PREFIX.length()).strip();
        }
      }
      throw new IOException(name + " exited before answering; see " + log);
    }

    /** Kills the side and whatever its command line started. */
    void kill() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }

    @Override
    public void close() throws IOException {
      try {
        in.close();
      } catch (IOException ignored) {
        // the side may already have exited
      }
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          kill();
        }
      } catch (InterruptedException e) {
        kill();
        Thread.currentThread().interrupt();
      }
    }
  }
}
