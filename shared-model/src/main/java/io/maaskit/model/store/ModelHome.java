package io.maaskit.model.store;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * Where the kit keeps its files when not told otherwise, defined here once for the server, the
 * commands and (through {@code Defaults home}) the scripts: {@code $MAAS_HOME}, else {@code
 * $XDG_CACHE_HOME/maaskit}, else {@code ~/.cache/maaskit}; the model store under it in {@code
 * models}, the package cache in {@code cache}. The core reads no environment: the caller passes it.
 *
 * <pre>{@code
 * Path home = ModelHome.resolve(System::getenv, System.getProperty("user.home"));
 * Path store = home.resolve(ModelHome.MODELS);
 * }</pre>
 */
public final class ModelHome {
  /** The model store's directory under the home. */
  public static final String MODELS = "models";

  /** The package cache's directory under the home. */
  public static final String CACHE = "cache";

  private ModelHome() {}

  /**
   * The home from an environment.
   *
   * @param env looks up {@code MAAS_HOME} and {@code XDG_CACHE_HOME} (null or blank: unset)
   * @param userHome the user's home directory
   */
  public static Path resolve(UnaryOperator<String> env, String userHome) {
    String h = env.apply("MAAS_HOME");
    if (h != null && !h.isBlank()) {
      return Path.of(h);
    }
    String xdg = env.apply("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(userHome, ".cache");
    return base.resolve("maaskit");
  }
}
