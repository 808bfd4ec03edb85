package io.maaskit.model.registry;

import java.time.Duration;

/**
 * Registry behaviour.
 *
 * @param loadWait how long a request waits for a model that is loading before it gets "not ready"
 * @param retryBackoff first wait after a failed load; doubles per consecutive failure
 * @param maxRetryBackoff cap of the backoff
 * @param memoryBudgetBytes refuse to load more weights than this (0 = unlimited)
 */
public record RegistryOptions(Duration loadWait, Duration retryBackoff, Duration maxRetryBackoff, long memoryBudgetBytes) {
  /** 60 s wait, 2 s → 60 s backoff, no budget. */
  public static RegistryOptions defaults() {
    return new RegistryOptions(Duration.ofSeconds(60), Duration.ofSeconds(2), Duration.ofSeconds(60), 0);
  }
}
