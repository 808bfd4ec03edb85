package io.maaskit.model.store;

import java.nio.file.Path;

/** Opens a store from a URI or path: {@code s3://bucket/prefix}, {@code file:/...} or a plain path. */
public final class ModelStores {
  private ModelStores() {}

  /** Opens a local store; S3 URIs are handled by {@code S3ModelStore} once registered. */
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
