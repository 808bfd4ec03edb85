package io.maaskit.model.store.internal;

import io.maaskit.model.pkg.ModelId;
import java.util.regex.Pattern;

/**
 * A bucket and key prefix, parsed from {@code s3://bucket/prefix}: the root of an S3 model store.
 * Keys of a package are {@code <prefix>/<name>/<version>/<file>}.
 *
 * @param bucket bucket name
 * @param prefix key prefix without leading or trailing slash; empty for the bucket's root
 */
public record S3Location(String bucket, String prefix) {
  // Lenient on purpose (S3-compatible servers accept more than AWS does); rejects what can't be a
  // bucket.
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9._-]{1,254}");

  public S3Location {
    if (bucket == null || !BUCKET.matcher(bucket).matches()) {
      throw new IllegalArgumentException(
          "invalid S3 bucket name '"
              + bucket
              + "': use lower-case letters, digits, '.', '_' or '-'");
    }
    prefix = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
  }

  /** Parses {@code s3://bucket} or {@code s3://bucket/some/prefix}. */
  public static S3Location parse(String uri) {
    if (uri == null || !uri.startsWith("s3://")) {
      throw new IllegalArgumentException(
          "not an S3 URI: '" + uri + "', expected s3://bucket/prefix");
    }
    String rest = uri.substring("s3://".length());
    int slash = rest.indexOf('/');
    return slash < 0
        ? new S3Location(rest, "")
        : new S3Location(rest.substring(0, slash), rest.substring(slash + 1));
  }

  /** The key of a package file (or of its manifest). */
  public String key(ModelId id, String file) {
    return root() + id.name() + "/" + id.version() + "/" + file;
  }

  /** The key prefix every package lives under: empty or ending with {@code /}. */
  public String root() {
    return prefix.isEmpty() ? "" : prefix + "/";
  }

  /** {@code s3://bucket/key}, for messages. */
  public String uri(String key) {
    return "s3://" + bucket + "/" + key;
  }

  /** {@code s3://bucket/prefix/}. */
  @Override
  public String toString() {
    return uri(root());
  }
}
