package io.maaskit.tools.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where the commands look when not told: the one place the CLI's defaults live. {@code
 * scripts/lib/common.sh} asks this class ({@code java ... Defaults store}) rather than repeating
 * it.
 *
 * <ul>
 *   <li>home: {@code $MAAS_HOME}, else {@code $XDG_CACHE_HOME/maaskit}, else {@code
 *       ~/.cache/maaskit}
 *   <li>store: {@code $MAAS_MODEL_STORE}, else {@code <home>/models}
 * </ul>
 */
public final class Defaults {
  /** Fills {@code --store} of every command from {@link #store()}, so help shows the real value. */
  public static class Provider implements IDefaultValueProvider {
    @Override
    public String defaultValue(ArgSpec arg) {
      return arg instanceof OptionSpec o && o.longestName().equals("--store") ? store() : null;
    }
  }

  private Defaults() {}

  /** The kit's home, from the process environment. */
  public static Path home() {
    return home(System::getenv, System.getProperty("user.home"));
  }

  static Path home(UnaryOperator<String> env, String userHome) {
    String h = env.apply("MAAS_HOME");
    if (h != null && !h.isBlank()) {
      return Path.of(h);
    }
    String xdg = env.apply("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(userHome, ".cache");
    return base.resolve("maaskit");
  }

  /** The default model store location. */
  public static String store() {
    return store(System::getenv, System.getProperty("user.home"));
  }

  static String store(UnaryOperator<String> env, String userHome) {
    String s = env.apply("MAAS_MODEL_STORE");
    return s != null && !s.isBlank() ? s : home(env, userHome).resolve("models").toString();
  }

  /** The package cache of commands that load models. */
  static Path cache() {
    return home().resolve("cache");
  }

  /** Where scripts/spam-corpus writes train.jsonl and eval.jsonl. */
  static Path spamAssassinDir() {
    return home().resolve("datasets").resolve("spam-assassin");
  }

  /**
   * Prints one default for the shell scripts: {@code home} or {@code store}.
   *
   * @param args the name of the default
   */
  public static void main(String[] args) {
    Map<String, String> values = Map.of("home", home().toString(), "store", store());
    String v = args.length == 1 ? values.get(args[0]) : null;
    if (v == null) {
      System.err.println("usage: Defaults home|store");
      System.exit(Cli.USAGE);
    }
    System.out.println(v);
  }
}
