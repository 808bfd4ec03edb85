package io.maaskit.functions;

import java.time.Instant;

/**
 * Milliseconds since this process started, for the start-up timeline the server logs ({@code boot
 * t+N ms: phase}): the cold-start bench reads these lines to say where the time before the first
 * answer went (JVM and Quarkus start, engine natives, store lookup, model load).
 */
final class BootClock {
  private static final long START =
      ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(-1L);

  private BootClock() {}

  /** "boot t+N ms: phase", or just the phase where the process' start time is unknown. */
  static String mark(String phase) {
    return START < 0
        ? "boot: " + phase
        : "boot t+" + (System.currentTimeMillis() - START) + " ms: " + phase;
  }
}
