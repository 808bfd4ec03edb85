package io.maaskit.model.store;

import java.net.URI;
import java.util.Locale;

/**
 * How the S3 store talks to its endpoint and how it moves bytes. Defaults live in {@link
 * #defaults()} and nowhere else. The core reads no environment: adapters fill this record from
 * their own configuration (the functions' {@code maas.s3.*} mapping, the CLI's environment).
 *
 * <pre>{@code
 * S3Settings s = S3Settings.defaults().withEndpoint(URI.create("http://localhost:9000"));
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
