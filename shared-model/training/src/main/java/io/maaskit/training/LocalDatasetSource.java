package io.maaskit.training;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads datasets from the local file system: plain paths or {@code file:} URIs. */
public final class LocalDatasetSource implements DatasetSource {

  @Override
  public InputStream open(String location) throws IOException {
    Path p = path(location);
    if (!Files.isRegularFile(p)) {
      throw new NoSuchFileException(p.toString(), null, "dataset file not found");
    }
    return Files.newInputStream(p);
  }

  /** The path a location names. */
  static Path path(String location) throws IOException {
    if (location == null || location.isBlank()) {
      throw new IOException("dataset location is empty");
    }
    if (location.startsWith("file:")) {
      return Path.of(URI.create(location));
    }
    if (location.contains("://")) {
      throw new IOException(
          "unsupported dataset location '" + location + "': use a local path or s3://bucket/key");
    }
    return Path.of(location);
  }
}
