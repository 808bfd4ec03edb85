package io.maaskit.model.registry;

import java.time.Duration;

/**
 * Registry behaviour.
 *
 * @param loadWait how long a request waits for a model that is loading before it gets "not ready"
 * @param retryBackoff first wait after a failed load; doubles per consecutive failure
 * @param maxRetryBackoff cap of the backoff
 * @param memoryBudgetBytes refuse to load more weights than this (0 = unlimited)
 * @param latestTtl how long "name" (no version) keeps resolving to the same version
 * @param idleAfter how long a model handed out without a lease ({@link ModelRegistry#get}) counts
 *     as in use after that; leased models are in use exactly while leased
 */
public record RegistryOptions(
    Duration loadWait,
    Duration retryBackoff,
    Duration maxRetryBackoff,
    long memoryBudgetBytes,
    Duration latestTtl,
    Duration idleAfter) {
  /** Default for {@link #idleAfter()}: longer than any request a caller without a lease makes. */
  public static final Duration IDLE_AFTER = Duration.ofSeconds(60);

  /** Options with the default {@link #IDLE_AFTER}. */
  public RegistryOptions(
      Duration loadWait,
      Duration retryBackoff,
      Duration maxRetryBackoff,
      long memoryBudgetBytes,
      Duration latestTtl) {
    this(loadWait, retryBackoff, maxRetryBackoff, memoryBudgetBytes, latestTtl, IDLE_AFTER);
  }

  /** Options with the default 30 s TTL for version-less names. */
  public RegistryOptions(
      Duration loadWait, Duration retryBackoff, Duration maxRetryBackoff, long memoryBudgetBytes) {
    this(loadWait, retryBackoff, maxRetryBackoff, memoryBudgetBytes, Duration.ofSeconds(30));
  }

  /**
   * 60 s wait, 2 s → 60 s backoff, no budget, latest version re-checked every 30 s, unleased use
   * held 60 s.
   */
  public static RegistryOptions defaults() {
    return new RegistryOptions(
        Duration.ofSeconds(60),
        Duration.ofSeconds(2),
        Duration.ofSeconds(60),
        0,
        Duration.ofSeconds(30),
        IDLE_AFTER);
  }

  /** Same options with another TTL for version-less names. */
  public RegistryOptions withLatestTtl(Duration ttl) {
    return new RegistryOptions(
        loadWait, retryBackoff, maxRetryBackoff, memoryBudgetBytes, ttl, idleAfter);
  }

  /** Same options with another memory budget (0 = unlimited). */
  public RegistryOptions withMemoryBudget(long bytes) {
    return new RegistryOptions(
        loadWait, retryBackoff, maxRetryBackoff, bytes, latestTtl, idleAfter);
  }
}
