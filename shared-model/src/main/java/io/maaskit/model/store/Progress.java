package io.maaskit.model.store;

/** Receives progress of long transfers (publishing, downloading) for display. */
@FunctionalInterface
public interface Progress {
  /** Called as bytes move; {@code total} may be -1 when unknown. */
  void update(String what, long done, long total);

  /** Ignores progress. */
  Progress NONE = (what, done, total) -> {};
}
