package io.maaskit.training;

import java.io.IOException;
import java.io.InputStream;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Where training and evaluation data are read from: a local path, or {@code s3://bucket/key}
 * through an injected {@link S3Client}.
 *
 * <pre>{@code
 * DatasetSource local = DatasetSource.local();
 * DatasetSource any = DatasetSource.routing(s3Client);   // s3:// via the client, the rest locally
 * try (InputStream in = any.open("s3://datasets/spam/train.jsonl")) { ... }
 * }</pre>
 */
public interface DatasetSource {

  /**
   * Opens a dataset for reading.
   *
   * @throws java.nio.file.NoSuchFileException naming the location if it does not exist
   */
  InputStream open(String location) throws IOException;

  /** Reads local paths and {@code file:} URIs only. */
  static DatasetSource local() {
    return new LocalDatasetSource();
  }

  /**
   * Reads {@code s3://} locations through {@code s3}, everything else as a local path.
   *
   * @param s3 the client; null makes {@code s3://} locations fail with a clear message
   */
  static DatasetSource routing(S3Client s3) {
    DatasetSource local = local();
    DatasetSource remote = s3 == null ? null : new S3DatasetSource(s3);
    return location -> {
      if (location != null && location.startsWith("s3://")) {
        if (remote == null) {
          throw new IOException(
              "cannot read " + location + ": no S3 client is configured for datasets");
        }
        return remote.open(location);
      }
      return local.open(location);
    };
  }
}
