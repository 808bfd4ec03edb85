package io.maaskit.model.store;

import java.nio.file.Path;

/**
 * Opens a store from a URI or path: {@code s3://bucket/prefix}, {@code file:/...} or a plain path.
 */
public final class ModelStores {
  private ModelStores() {}

  /**
   * Opens a store: {@code s3://} URIs through {@link S3Stores#open(String)}, settings from the
   * environment; anything else as a local directory.
   */
  public static ModelStore open(String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException("model store location is empty");
    }
    if (location.startsWith("s3://")) {
      return S3Stores.open(location);
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
