package io.maaskit.training;

import io.maaskit.model.error.PayloadTooLargeException;
import java.time.Duration;

/**
 * How long a training job is expected to take, worst case (every epoch runs; early stopping only
 * makes it shorter). The encoder's throughput is measured on the machine that asks, so the same
 * request is estimated differently on a laptop and in a 2-vCPU function.
 *
 * @param trainExamples examples in the training data (validation split included)
 * @param evalExamples examples in the evaluation data, 0 without
 * @param meanTokens mean tokens per example after truncation (from a sample)
 * @param tokensPerSecond measured encoder throughput (inference)
 * @param loadSeconds loading the base model (measured), and the new one again for evaluation
 * @param embedSeconds one inference pass over the training data (features, or the cached outputs of
 *     the frozen layers)
 * @param trainSeconds the epochs
 * @param evalSeconds scoring the evaluation data
 * @param totalSeconds the sum
 */
public record Estimate(
    int trainExamples,
    int evalExamples,
    double meanTokens,
    double tokensPerSecond,
    double loadSeconds,
    double embedSeconds,
    double trainSeconds,
    double evalSeconds,
    double totalSeconds) {

  /** One line for logs and refusals. */
  public String describe() {
    return String.format(
        "about %.0f s: %d training examples × %.0f tokens at %.0f tokens/s (embedding %.0f s,"
            + " training %.0f s, evaluating %d examples %.0f s, loading %.0f s)",
        totalSeconds,
        trainExamples,
        meanTokens,
        tokensPerSecond,
        embedSeconds,
        trainSeconds,
        evalExamples,
        evalSeconds,
        loadSeconds);
  }

  /** Whether the job is expected to finish within {@code limit}. */
  public boolean fitsWithin(Duration limit) {
    return totalSeconds <= limit.toMillis() / 1000.0;
  }

  /**
   * Refuses a job that cannot finish in time, with a message that says what to change.
   *
   * @throws PayloadTooLargeException if {@link #totalSeconds} exceeds {@code limit}
   */
  public Estimate requireWithin(Duration limit) {
    if (!fitsWithin(limit)) {
      throw new PayloadTooLargeException(
          "training job refused: estimated "
              + describe()
              + ", over the limit of "
              + limit.toSeconds()
              + " s. Use fewer examples, fewer epochs or a smaller maxLength, keep the encoder"
              + " frozen (unfreezeLayers 0), or run scripts/train on a bigger machine");
    }
    return this;
  }
}
