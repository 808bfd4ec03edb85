package io.maaskit.model.store;

/** Placeholder bridge until the S3 store lands; replaced by S3ModelStore. */
final class S3Stores {
  private S3Stores() {}

  static ModelStore open(String uri) {
    throw new UnsupportedOperationException("S3 stores are not supported yet: " + uri);
  }
}
