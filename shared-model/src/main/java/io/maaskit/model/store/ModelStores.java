package io.maaskit.model.store;

import java.nio.file.Path;

/**
 * Opens a store from a URI or path: {@code s3://bucket/prefix}, {@code file:/...} or a plain path.
 */
public final class ModelStores {
  private ModelStores() {}

  /**
   * Opens a store: {@code s3://} URIs with {@link S3Settings#defaults()}; anything else as a local
   * directory.
   */
  public static ModelStore open(String location) {
    return open(location, S3Settings.defaults());
  }

  /**
   * Opens a store: {@code s3://} URIs through {@link S3Stores#open(String, S3Settings)} with these
   * settings; anything else as a local directory.
   */
  public static ModelStore open(String location, S3Settings s3) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException("model store location is empty");
    }
    if (location.startsWith("s3://")) {
      return S3Stores.open(location, s3);
    }
    if (location.startsWith("file:")) {
      return new LocalModelStore(Path.of(java.net.URI.create(location)));
    }
    if (location.contains("://")) {
      throw new IllegalArgumentException(
          "unsupported model store '" + location + "': use a local path or s3://bucket/prefix");
    }
    return new LocalModelStore(Path.of(location));
  }
}
