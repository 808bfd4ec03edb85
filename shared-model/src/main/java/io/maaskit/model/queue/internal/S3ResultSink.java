package io.maaskit.model.queue.internal;

import io.maaskit.model.queue.ResultSink;
import io.maaskit.model.store.internal.S3Location;
import java.io.IOException;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Writes each result as one object, {@code <prefix>/<messageId>.json} ({@code application/json}),
 * so a client finds its result by the message id SQS returned from {@code SendMessage}. {@link
 * #has} is a {@code HeadObject}: the object's existence is the idempotency record, shared by every
 * worker and Lambda instance, so a redelivered message adds no second result. Two deliveries
 * running at the very same moment on different machines may both write; the later PUT replaces the
 * earlier one with an equivalent result, and there is still exactly one object.
 *
 * <pre>{@code
 * ResultSink sink = new S3ResultSink(s3, S3Location.parse("s3://my-bucket/results"));
 * }</pre>
 */
public final class S3ResultSink implements ResultSink {
  // SQS message ids are UUIDs; refuse anything that would escape the prefix or need escaping.
  private static final Pattern MESSAGE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");

  private final S3Client s3;
  private final S3Location location;

  /** A sink over an injected client (the caller owns and closes it). */
  public S3ResultSink(S3Client s3, S3Location location) {
    this.s3 = s3;
    this.location = location;
  }

  /** The object key of a message's result. */
  public String key(String messageId) {
    if (messageId == null || !MESSAGE_ID.matcher(messageId).matches()) {
      throw new IllegalArgumentException(
          "message id '" + messageId + "' cannot name a result object");
    }
    return location.root() + messageId + ".json";
  }

  /** {@code s3://bucket/prefix/<messageId>.json}. */
  public String uri(String messageId) {
    return location.uri(key(messageId));
  }

  @Override
  public boolean has(String messageId) throws IOException {
    String key = key(messageId);
    try {
      s3.headObject(b -> b.bucket(location.bucket()).key(key));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      if (e.statusCode() == 403) {
        // S3 answers 403, not 404, for a missing key unless the caller may list the bucket, and a
        // least-privilege role may list only under its prefixes (an s3:prefix condition, which a
        // HEAD request does not carry). A prefix-scoped LIST answers the same question.
        return listed(key, e);
      }
      throw new IOException(
          "checking for result " + location.uri(key) + " failed: " + e.getMessage(), e);
    } catch (SdkException e) {
      throw new IOException(
          "checking for result " + location.uri(key) + " failed: " + e.getMessage(), e);
    }
  }

  private boolean listed(String key, S3Exception headDenied) throws IOException {
    try {
      return s3
          .listObjectsV2(b -> b.bucket(location.bucket()).prefix(key).maxKeys(1))
          .contents()
          .stream()
          .anyMatch(o -> o.key().equals(key));
    } catch (SdkException e) {
      IOException io =
          new IOException(
              "access denied checking for result "
                  + location.uri(key)
                  + ": the role needs"
                  + " s3:GetObject on the prefix and s3:ListBucket on bucket "
                  + location.bucket()
                  + " (at least for that prefix)",
              e);
      io.addSuppressed(headDenied);
      throw io;
    }
  }

  @Override
  public void write(String messageId, byte[] json) throws IOException {
    String key = key(messageId);
    try {
      s3.putObject(
          b ->
              b.bucket(location.bucket())
                  .key(key)
                  .contentType("application/json")
                  .contentLength((long) json.length),
          RequestBody.fromBytes(json));
    } catch (SdkException e) {
      throw new IOException(
          "writing result " + location.uri(key) + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return location.toString();
  }
}
