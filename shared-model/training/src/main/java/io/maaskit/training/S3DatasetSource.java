package io.maaskit.training;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Reads datasets from S3 ({@code s3://bucket/key}) through an injected client, so the caller
 * decides credentials, region, endpoint and retries. The client is not closed here.
 */
public final class S3DatasetSource implements DatasetSource {
  private final S3Client s3;

  public S3DatasetSource(S3Client s3) {
    this.s3 = java.util.Objects.requireNonNull(s3, "s3");
  }

  @Override
  public InputStream open(String location) throws IOException {
    if (location == null || !location.startsWith("s3://")) {
      throw new IOException("not an S3 location: '" + location + "', expected s3://bucket/key");
    }
    String rest = location.substring("s3://".length());
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1) {
      throw new IOException(
          "S3 dataset location '" + location + "' must name a bucket and a key: s3://bucket/key");
    }
    String bucket = rest.substring(0, slash);
    String key = rest.substring(slash + 1);
    try {
      return s3.getObject(GetObjectRequest.builder().bucket(bucket).key(key).build());
    } catch (NoSuchKeyException | NoSuchBucketException e) {
      throw new NoSuchFileException(location, null, "dataset object not found");
    } catch (SdkException e) {
      throw new IOException("cannot read dataset " + location + ": " + e.getMessage(), e);
    }
  }
}
