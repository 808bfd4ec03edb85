package io.maaskit.tools.cli;

import io.maaskit.model.store.ModelHome;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.ModelStores;
import io.maaskit.model.store.S3Settings;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The commands' environment, read here and nowhere else: where they look when not told (the one
 * place the CLI's defaults live) and how they reach S3 ({@code AWS_ENDPOINT_URL_S3}, {@code
 * MAAS_S3_*}). {@code scripts/lib/common.sh} asks this class ({@code java ... Defaults store})
 * rather than repeating it.
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
    return ModelHome.resolve(env, userHome);
  }

  /** The default model store location. */
  public static String store() {
    return store(System::getenv, System.getProperty("user.home"));
  }

  static String store(UnaryOperator<String> env, String userHome) {
    String s = env.apply("MAAS_MODEL_STORE");
    return s != null && !s.isBlank() ? s : home(env, userHome).resolve(ModelHome.MODELS).toString();
  }

  /** The package cache of commands that load models. */
  static Path cache() {
    return home().resolve(ModelHome.CACHE);
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

  /** Opens a store: {@code s3://} with {@link #s3Settings()}, else a local directory. */
  public static ModelStore openStore(String location) {
    return ModelStores.open(
        location,
        location != null && location.startsWith("s3://") ? s3Settings() : S3Settings.defaults());
  }

  /** Whether {@code $MAAS_DEBUG} asks for stack traces. */
  static boolean debug() {
    return System.getenv("MAAS_DEBUG") != null;
  }

  /** S3 settings from the process environment; see {@link #s3Settings(Map)}. */
  public static S3Settings s3Settings() {
    return s3Settings(System.getenv());
  }

  /**
   * S3 settings from environment variables, {@link S3Settings#defaults()} for the rest:
   *
   * <ul>
   *   <li>{@code MAAS_S3_ENDPOINT}, else {@code AWS_ENDPOINT_URL_S3}, else {@code
   *       AWS_ENDPOINT_URL}: endpoint override (the latter two are the AWS SDKs' and CLI's)
   *   <li>{@code AWS_REGION}, else {@code AWS_DEFAULT_REGION}: region (else the SDK chain)
   *   <li>{@code MAAS_S3_PATH_STYLE}: {@code true}/{@code false}; unset = on exactly when an
   *       endpoint is set
   *   <li>{@code MAAS_S3_PART_SIZE}: bytes, or with a suffix {@code K}, {@code M}, {@code G}
   *   <li>{@code MAAS_S3_CONCURRENCY}, {@code MAAS_S3_MAX_ATTEMPTS}: integers
   * </ul>
   */
  static S3Settings s3Settings(Map<String, String> env) {
    S3Settings d = S3Settings.defaults();
    String endpoint = firstSet(env, "MAAS_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    URI uri = null;
    if (endpoint != null) {
      uri = URI.create(endpoint);
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new IllegalArgumentException(
            "S3 endpoint '" + endpoint + "' is not a URL like http://localhost:9000");
      }
    }
    String ps = firstSet(env, "MAAS_S3_PATH_STYLE");
    String part = firstSet(env, "MAAS_S3_PART_SIZE");
    String conc = firstSet(env, "MAAS_S3_CONCURRENCY");
    String attempts = firstSet(env, "MAAS_S3_MAX_ATTEMPTS");
    return new S3Settings(
        uri,
        firstSet(env, "AWS_REGION", "AWS_DEFAULT_REGION"),
        ps == null ? uri != null : parseBoolean("MAAS_S3_PATH_STYLE", ps),
        part == null ? d.partSizeBytes() : parseSize("MAAS_S3_PART_SIZE", part),
        conc == null ? d.concurrency() : parseInt("MAAS_S3_CONCURRENCY", conc),
        attempts == null ? d.maxAttempts() : parseInt("MAAS_S3_MAX_ATTEMPTS", attempts));
  }

  private static String firstSet(Map<String, String> env, String... keys) {
    for (String k : keys) {
      String v = env.get(k);
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return null;
  }

  private static boolean parseBoolean(String key, String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default ->
          throw new IllegalArgumentException(key + " must be true or false, got '" + v + "'");
    };
  }

  private static int parseInt(String key, String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
    }
  }

  private static long parseSize(String key, String v) {
    try {
      return S3Settings.parseSize(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          key + " must be a size in bytes like 8388608 or 8M, got '" + v + "'");
    }
  }
}
