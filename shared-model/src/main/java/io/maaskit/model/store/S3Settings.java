package io.maaskit.model.store;

import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * How the S3 store talks to its endpoint and how it moves bytes. Defaults live in {@link
 * #defaults()} and nowhere else; {@link #fromEnvironment()} is the one place that reads the
 * environment (adapters with their own configuration build the record themselves).
 *
 * <pre>{@code
 * S3Settings s = S3Settings.fromEnvironment();            // AWS_ENDPOINT_URL_S3, MAAS_S3_* ...
 * S3Settings fast = s.withTransfer(16 << 20, 8);           // 16 MiB parts, 8 in flight
 * }</pre>
 *
 * @param endpointOverride an S3-compatible endpoint (MinIO, Ceph, R2, S3Proxy...), or null for AWS
 * @param region signing region, or null for the SDK's provider chain (falling back to us-east-1)
 * @param pathStyle address buckets as {@code endpoint/bucket/key} instead of {@code
 *     bucket.endpoint/key}; S3-compatible servers usually need it
 * @param partSizeBytes files larger than this are downloaded with parallel ranged GETs of this size
 *     and uploaded in multipart uploads (parts of at least 5 MiB, S3's minimum)
 * @param concurrency ranged GETs (or part uploads) in flight per store
 * @param maxAttempts attempts per request, first try included: the SDK retries 5xx, throttling and
 *     connection errors with backoff; the store retries a part whose body broke off mid-stream
 */
public record S3Settings(
    URI endpointOverride,
    String region,
    boolean pathStyle,
    long partSizeBytes,
    int concurrency,
    int maxAttempts) {

  /** Default part size: 8 MiB. */
  public static final long DEFAULT_PART_SIZE = 8L << 20;

  /** Default number of parts in flight: 4. */
  public static final int DEFAULT_CONCURRENCY = 4;

  /** Default attempts per request: 5 (four retries). */
  public static final int DEFAULT_MAX_ATTEMPTS = 5;

  /** S3's smallest part for multipart uploads (except the last). */
  public static final long MIN_UPLOAD_PART_SIZE = 5L << 20;

  public S3Settings {
    if (partSizeBytes < 64 << 10) {
      throw new IllegalArgumentException(
          "S3 part size must be at least 64 KiB, got " + partSizeBytes + " bytes");
    }
    if (concurrency < 1 || concurrency > 64) {
      throw new IllegalArgumentException(
          "S3 concurrency must be between 1 and 64, got " + concurrency);
    }
    if (maxAttempts < 1 || maxAttempts > 20) {
      throw new IllegalArgumentException(
          "S3 max attempts must be between 1 and 20, got " + maxAttempts);
    }
  }

  /** AWS endpoints for the configured region, 8 MiB parts, 4 in flight, 5 attempts. */
  public static S3Settings defaults() {
    return new S3Settings(
        null, null, false, DEFAULT_PART_SIZE, DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS);
  }

  /** Settings from the process environment; see {@link #fromEnvironment(Map)}. */
  public static S3Settings fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * Settings from environment variables, defaults for the rest:
   *
   * <ul>
   *   <li>{@code AWS_ENDPOINT_URL_S3}, else {@code AWS_ENDPOINT_URL}: endpoint override (the same
   *       variables the AWS SDKs and CLI read); setting one turns on path-style addressing
   *   <li>{@code AWS_REGION}, else {@code AWS_DEFAULT_REGION}: region (else the SDK chain: profile,
   *       instance metadata; else us-east-1)
   *   <li>{@code MAAS_S3_PATH_STYLE}: {@code true}/{@code false}, overrides the above
   *   <li>{@code MAAS_S3_PART_SIZE}: bytes, or with a suffix {@code K}, {@code M}, {@code G}
   *       (binary), e.g. {@code 16M}
   *   <li>{@code MAAS_S3_CONCURRENCY}, {@code MAAS_S3_MAX_ATTEMPTS}: integers
   * </ul>
   */
  public static S3Settings fromEnvironment(Map<String, String> env) {
    S3Settings d = defaults();
    String endpoint = firstSet(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
    URI uri = null;
    if (endpoint != null) {
      uri = URI.create(endpoint.trim());
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new IllegalArgumentException(
            "S3 endpoint '" + endpoint + "' is not a URL like http://localhost:9000");
      }
    }
    String region = firstSet(env, "AWS_REGION", "AWS_DEFAULT_REGION");
    String ps = firstSet(env, "MAAS_S3_PATH_STYLE");
    boolean pathStyle = ps == null ? uri != null : parseBoolean("MAAS_S3_PATH_STYLE", ps);
    String part = firstSet(env, "MAAS_S3_PART_SIZE");
    String conc = firstSet(env, "MAAS_S3_CONCURRENCY");
    String attempts = firstSet(env, "MAAS_S3_MAX_ATTEMPTS");
    return new S3Settings(
        uri,
        region,
        pathStyle,
        part == null ? d.partSizeBytes() : parseSize("MAAS_S3_PART_SIZE", part),
        conc == null ? d.concurrency() : parseInt("MAAS_S3_CONCURRENCY", conc),
        attempts == null ? d.maxAttempts() : parseInt("MAAS_S3_MAX_ATTEMPTS", attempts));
  }

  /** A copy pointing at an S3-compatible endpoint, with path-style addressing. */
  public S3Settings withEndpoint(URI endpoint) {
    return new S3Settings(endpoint, region, true, partSizeBytes, concurrency, maxAttempts);
  }

  /** A copy with another signing region. */
  public S3Settings withRegion(String newRegion) {
    return new S3Settings(
        endpointOverride, newRegion, pathStyle, partSizeBytes, concurrency, maxAttempts);
  }

  /** A copy with another part size and concurrency. */
  public S3Settings withTransfer(long partSize, int parallel) {
    return new S3Settings(endpointOverride, region, pathStyle, partSize, parallel, maxAttempts);
  }

  /** A copy with another attempt count. */
  public S3Settings withMaxAttempts(int attempts) {
    return new S3Settings(
        endpointOverride, region, pathStyle, partSizeBytes, concurrency, attempts);
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

  /**
   * Parses a byte size: a plain number, or with a binary suffix {@code K}, {@code M}, {@code G}
   * ({@code 16M}).
   */
  public static long parseSize(String text) {
    return parseSize("size", text);
  }

  private static long parseSize(String key, String v) {
    String s = v.toUpperCase(Locale.ROOT).replaceFirst("I?B$", "");
    long unit = 1;
    if (!s.isEmpty() && "KMG".indexOf(s.charAt(s.length() - 1)) >= 0) {
      unit = 1L << (10 * ("KMG".indexOf(s.charAt(s.length() - 1)) + 1));
      s = s.substring(0, s.length() - 1);
    }
    try {
      return Math.multiplyExact(Long.parseLong(s.trim()), unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(
          key + " must be a size in bytes like 8388608 or 8M, got '" + v + "'");
    }
  }
}
