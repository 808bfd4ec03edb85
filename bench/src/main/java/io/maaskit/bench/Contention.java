package io.maaskit.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * How much of the machine something else used while a benchmark ran. On a small shared machine (2
 * cores) a build or test run in another shell halves a side's throughput and, with OpenMP's
 * spin-barriers, can stall PyTorch's intra-op threads for hundreds of milliseconds; the report must
 * say so rather than publish it as a ratio.
 *
 * <p>"Foreign" CPU is busy time across all CPUs ({@code /proc/stat}) minus this process' own user +
 * system time ({@code /proc/self/stat}), in cores (1.0 = one core fully used by others on average).
 */
public final class Contention {
  /** Other processes' CPU use below which the machine counts as quiet: 0.3 cores. */
  public static final double QUIET_CORES = 0.3;

  /**
   * How long a trial waits for a quiet machine before it measures anyway: {@code
   * maas.bench.quiet.wait.ms} (default 15 s), but only 2 s once an earlier trial of this run waited
   * in vain, so a machine that stays busy costs the run seconds, not minutes.
   */
  public static long quietWaitMillis() {
    long max = Long.getLong("maas.bench.quiet.wait.ms", 15_000);
    String dir = System.getProperty("maas.bench.contention.dir");
    if (dir != null) {
      try {
        Path p = Path.of(dir, "contention.jsonl");
        if (Files.exists(p)) {
          List<String> lines = Files.readAllLines(p);
          for (int i = lines.size() - 1; i >= 0; i--) {
            java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("\"waited_ms\":(\\d+)").matcher(lines.get(i));
            if (m.find()) {
              return Long.parseLong(m.group(1)) >= max ? Math.min(max, 2_000) : max;
            }
          }
        }
      } catch (IOException e) {
        return max;
      }
    }
    return max;
  }

  private final long wallNanos;
  private final long busyTicks;
  private final long stealTicks;
  private final long selfTicks;

  private Contention(long wallNanos, long busyTicks, long stealTicks, long selfTicks) {
    this.wallNanos = wallNanos;
    this.busyTicks = busyTicks;
    this.stealTicks = stealTicks;
    this.selfTicks = selfTicks;
  }

  /** A snapshot of the counters now. */
  public static Contention now() {
    try {
      String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = cpu.trim().split("\\s+");
      // cpu user nice system idle iowait irq softirq steal ...
      long busy =
          Long.parseLong(f[1])
              + Long.parseLong(f[2])
              + Long.parseLong(f[3])
              + Long.parseLong(f[6])
              + Long.parseLong(f[7]);
      long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
      String self = Files.readString(Path.of("/proc/self/stat"));
      String[] s = self.substring(self.lastIndexOf(')') + 2).trim().split("\\s+");
      // after "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12 here
      long own = Long.parseLong(s[11]) + Long.parseLong(s[12]);
      return new Contention(System.nanoTime(), busy, steal, own);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Cores used by other processes between {@code earlier} and this snapshot (clock ticks at 100
   * Hz).
   */
  public double foreignCoresSince(Contention earlier) {
    double secs = (wallNanos - earlier.wallNanos) / 1e9;
    long foreign = (busyTicks - earlier.busyTicks) - (selfTicks - earlier.selfTicks);
    return secs <= 0 ? 0 : Math.max(0, foreign / 100.0 / secs);
  }

  /**
   * Like {@link #foreignCoresSince(Contention)}, also discounting {@code otherOwnTicks} of a child
   * process we started.
   */
  public double foreignCoresSince(Contention earlier, long otherOwnTicks) {
    double secs = (wallNanos - earlier.wallNanos) / 1e9;
    long foreign =
        (busyTicks - earlier.busyTicks) - (selfTicks - earlier.selfTicks) - otherOwnTicks;
    return secs <= 0 ? 0 : Math.max(0, foreign / 100.0 / secs);
  }

  /** User + system clock ticks a process has used ({@code /proc/<pid>/stat}). */
  public static long cpuTicks(long pid) {
    try {
      String st = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] s = st.substring(st.lastIndexOf(')') + 2).trim().split("\\s+");
      return Long.parseLong(s[11]) + Long.parseLong(s[12]);
    } catch (IOException e) {
      return 0;
    }
  }

  /** Cores stolen by the hypervisor between {@code earlier} and now. */
  public double stealCoresSince(Contention earlier) {
    double secs = (wallNanos - earlier.wallNanos) / 1e9;
    return secs <= 0 ? 0 : (stealTicks - earlier.stealTicks) / 100.0 / secs;
  }

  /**
   * Waits (at most {@code maxMillis}) until other processes use less than {@code quietCores} over a
   * one-second window, so a measurement does not start in the middle of someone else's build.
   *
   * @return milliseconds waited
   */
  public static long awaitQuiet(double quietCores, long maxMillis) {
    long t0 = System.nanoTime();
    try {
      while (true) {
        Contention a = now();
        Thread.sleep(1000);
        if (now().foreignCoresSince(a) < quietCores
            || (System.nanoTime() - t0) / 1_000_000 >= maxMillis) {
          return (System.nanoTime() - t0) / 1_000_000;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return (System.nanoTime() - t0) / 1_000_000;
    }
  }

  /**
   * Appends one line of JSON for a finished trial to {@code
   * <maas.bench.contention.dir>/contention.jsonl} (no-op when the property is unset).
   */
  public static void record(String benchmark, String params, Contention start, long waitedMillis) {
    String dir = System.getProperty("maas.bench.contention.dir");
    if (dir == null) {
      return;
    }
    Contention end = now();
    String line =
        String.format(
            Locale.ROOT,
            "{\"benchmark\":\"%s\",\"params\":\"%s\",\"foreign_cores\":%.3f,\"steal_cores\":%.3f,\"waited_ms\":%d}%n",
            benchmark,
            params,
            end.foreignCoresSince(start),
            end.stealCoresSince(start),
            waitedMillis);
    try {
      Path p = Path.of(dir);
      Files.createDirectories(p);
      Files.writeString(
          p.resolve("contention.jsonl"),
          line,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
