package io.maaskit.training;

/**
 * Receives what a training job is doing, for a console or a log: phases with counts (reading,
 * embedding, evaluating, publishing) and one line per epoch.
 */
public interface TrainingProgress {
  /** Ignores everything. */
  TrainingProgress NONE = new TrainingProgress() {};

  /** Work in a phase; {@code total} may be -1 when unknown. */
  default void phase(String what, long done, long total) {}

  /** An epoch finished. */
  default void epoch(EpochStats stats) {}
}
