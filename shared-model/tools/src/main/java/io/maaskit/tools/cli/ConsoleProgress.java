package io.maaskit.tools.cli;

import io.maaskit.model.store.Progress;

/** Prints progress lines to stderr, at most a few per second, so long work is visibly alive. */
public final class ConsoleProgress implements Progress {
  private long lastPrint;

  @Override
  public synchronized void update(String what, long done, long total) {
    long now = System.currentTimeMillis();
    boolean last = total > 0 && done >= total;
    if (!last && now - lastPrint < 250) {
      return;
    }
    lastPrint = now;
    if (total > 0 && total > 100) {
      System.err.printf(
          "  %-60s %6.1f / %.1f MB (%3d%%)%n",
          trim(what), done / 1e6, total / 1e6, (int) (100.0 * done / total));
    } else if (total > 0) {
      System.err.printf("  [%d/%d] %s%n", done, total, what);
    } else {
      System.err.printf("  %s%n", what);
    }
  }

  private static String trim(String s) {
    return s.length() <= 60 ? s : "…" + s.substring(s.length() - 59);
  }
}
