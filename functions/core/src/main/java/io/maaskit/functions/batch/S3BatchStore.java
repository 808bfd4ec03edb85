package io.maaskit.functions.batch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link BatchStore} in an S3 bucket under a prefix, over an injected client. {@link #create} is
 * a PUT with {@code If-None-Match: *} and {@link #replace} one with {@code If-Match: <etag>}: S3's
 * conditional writes, so two Lambda instances that race on a batch's state cannot both win.
 */
public final class S3BatchStore implements BatchStore {
  private final S3Client s3;
  private final String bucket;
  private final String prefix;

  /**
   * @param s3 the client (the caller owns it)
   * @param uri {@code s3://bucket/prefix}
   */
  public S3BatchStore(S3Client s3, String uri) {
    if (!uri.startsWith("s3://") || uri.length() <= 5) {
      throw new IllegalArgumentException("not an s3://bucket/prefix URI: " + uri);
    }
    String rest = uri.substring(5);
    int slash = rest.indexOf('/');
    this.s3 = s3;
    this.bucket = slash < 0 ? rest : rest.substring(0, slash);
    String p = slash < 0 ? "" : rest.substring(slash + 1);
    this.prefix = p.isEmpty() || p.endsWith("/") ? p : p + "/";
    if (bucket.isEmpty()) {
      throw new IllegalArgumentException("no bucket in " + uri);
    }
  }

  private IOException failed(String what, String key, SdkException e) {
    return new IOException(what + " " + location() + key + " failed: " + e.getMessage(), e);
  }

  @Override
  public void put(String key, byte[] data) throws IOException {
    try {
      s3.putObject(b -> b.bucket(bucket).key(prefix + key), RequestBody.fromBytes(data));
    } catch (SdkException e) {
      throw failed("writing", key, e);
    }
  }

  @Override
  public void put(String key, Path file) throws IOException {
    try {
      s3.putObject(b -> b.bucket(bucket).key(prefix + key), RequestBody.fromFile(file));
    } catch (SdkException e) {
      throw failed("writing", key, e);
    }
  }

  private static boolean preconditionFailed(S3Exception e) {
    // 412 PreconditionFailed; 409 ConditionalRequestConflict when two conditional writes race.
    return e.statusCode() == 412 || e.statusCode() == 409;
  }

  @Override
  public boolean create(String key, byte[] data) throws IOException {
    try {
      s3.putObject(
          b -> b.bucket(bucket).key(prefix + key).ifNoneMatch("*"), RequestBody.fromBytes(data));
      return true;
    } catch (S3Exception e) {
      if (preconditionFailed(e)) {
        return false;
      }
      throw failed("creating", key, e);
    } catch (SdkException e) {
      throw failed("creating", key, e);
    }
  }

  @Override
  public boolean replace(String key, byte[] data, String version) throws IOException {
    try {
      s3.putObject(
          b -> b.bucket(bucket).key(prefix + key).ifMatch(version), RequestBody.fromBytes(data));
      return true;
    } catch (S3Exception e) {
      if (preconditionFailed(e) || e.statusCode() == 404) {
        return false;
      }
      throw failed("replacing", key, e);
    } catch (SdkException e) {
      throw failed("replacing", key, e);
    }
  }

  /** A read that answers null for a missing object. */
  private interface Read<T> {
    T run() throws SdkException;
  }

  private <T> T read(String key, Read<T> read) throws IOException {
    try {
      return read.run();
    } catch (NoSuchKeyException e) {
      return null;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return null;
      }
      throw failed("reading", key, e);
    } catch (SdkException e) {
      throw failed("reading", key, e);
    }
  }

  @Override
  public Stored get(String key) throws IOException {
    return read(
        key,
        () -> {
          ResponseBytes<GetObjectResponse> r =
              s3.getObjectAsBytes(b -> b.bucket(bucket).key(prefix + key));
          return new Stored(r.asByteArray(), r.response().eTag());
        });
  }

  @Override
  public InputStream open(String key) throws IOException {
    return read(key, () -> s3.getObject(b -> b.bucket(bucket).key(prefix + key)));
  }

  @Override
  public List<String> list(String keyPrefix) throws IOException {
    List<String> keys = new ArrayList<>();
    try {
      ListObjectsV2Request req =
          ListObjectsV2Request.builder().bucket(bucket).prefix(prefix + keyPrefix).build();
      for (ListObjectsV2Response page : s3.listObjectsV2Paginator(req)) {
        for (S3Object o : page.contents()) {
          keys.add(o.key().substring(prefix.length()));
        }
      }
    } catch (SdkException e) {
      throw failed("listing", keyPrefix, e);
    }
    keys.sort(null);
    return keys;
  }

  @Override
  public void delete(String key) throws IOException {
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(prefix + key));
    } catch (SdkException e) {
      throw failed("deleting", key, e);
    }
  }

  @Override
  public String location() {
    return "s3://" + bucket + "/" + prefix;
  }
}
