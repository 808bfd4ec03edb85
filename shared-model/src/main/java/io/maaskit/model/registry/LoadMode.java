package io.maaskit.model.registry;

/** Where downloaded package files go before the runtime reads them. */
public enum LoadMode {
  /** A content-addressed disk cache: a warm container or another version never downloads twice. */
  CACHE,
  /** Straight into memory, never touching disk: for Lambda SnapStart, whose /tmp is 512 MB. */
  MEMORY
}
