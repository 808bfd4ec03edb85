package io.maaskit.tools.cli;

import java.nio.file.Path;

/** Where the commands look when not told: {@code $MAAS_MODEL_STORE}, else the user's cache. */
public final class Defaults {
  private Defaults() {}

  /**
   * The kit's home: {@code $MAAS_HOME}, else {@code $XDG_CACHE_HOME/maaskit}, else
   * ~/.cache/maaskit.
   */
  public static Path home() {
    String h = System.getenv("MAAS_HOME");
    if (h != null && !h.isBlank()) {
      return Path.of(h);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("maaskit");
  }

  /** The default model store location. */
  public static String store() {
    String s = System.getenv("MAAS_MODEL_STORE");
    return s != null && !s.isBlank() ? s : home().resolve("models").toString();
  }
}
