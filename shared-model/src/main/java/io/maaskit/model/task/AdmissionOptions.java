package io.maaskit.model.task;

import java.time.Duration;

/**
 * Limits of {@link Admission} and of one request's cost.
 *
 * @param maxConcurrentBatches forward passes (sub-batches) in flight per process, at least 1
 * @param maxQueuedRequests requests that may wait beyond those that hold a slot; more are refused
 *     at once with 503 + Retry-After
 * @param maxWait longest a request waits for a slot before it is refused
 * @param maxRequestTokens most tokens (after truncation, summed over the inputs) one request may
 *     cost; 0 = no limit beyond inputs × the model's length
 */
public record AdmissionOptions(
    int maxConcurrentBatches, int maxQueuedRequests, Duration maxWait, long maxRequestTokens) {
  public AdmissionOptions {
    if (maxConcurrentBatches < 1) {
      throw new IllegalArgumentException(
          "max concurrent batches must be at least 1, got " + maxConcurrentBatches);
    }
    if (maxQueuedRequests < 0) {
      throw new IllegalArgumentException(
          "max queued requests must be 0 or more, got " + maxQueuedRequests);
    }
    if (maxRequestTokens < 0) {
      throw new IllegalArgumentException(
          "max request tokens must be 0 (no limit) or more, got " + maxRequestTokens);
    }
  }

  /**
   * Sized from the cores: one forward pass already spreads over the engine's intra-op threads (all
   * cores by default), so more than {@code cores / 2} passes at once only trade latency for
   * contention, while a second slot lets one request tokenize and pool while another multiplies.
   * The queue holds 4 requests per slot: under overload (scripts/soak, 40 clients, one request in
   * ten a 256-input batch, 2 busy cores) 4 per slot kept small requests at p50 71 ms / p99 1.8 s
   * and the peak RSS at 784 MB, where 16 per slot let them wait p50 195 ms / p99 7.9 s, batches 35
   * s, at 1,069 MB, for more finished work; a longer queue buys throughput with latency that
   * clients time out on. A request waits at most 30 s for a slot; 65,536 tokens is 256 inputs of
   * 256 tokens.
   */
  public static AdmissionOptions defaults() {
    int slots = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    return new AdmissionOptions(slots, 4 * slots, Duration.ofSeconds(30), 65_536);
  }
}
