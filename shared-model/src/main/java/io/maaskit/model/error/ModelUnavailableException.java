package io.maaskit.model.error;

import java.time.Duration;

/**
 * The model exists but cannot serve right now: still loading, its last load failed and is backing
 * off, or the store is throttling. Callers should retry after {@link #retryAfter()}.
 */
public class ModelUnavailableException extends ModelException {
  private final Duration retryAfter;

  public ModelUnavailableException(String message, Duration retryAfter, Throwable cause) {
    super(message, cause);
    this.retryAfter = retryAfter;
  }

  public ModelUnavailableException(String message, Duration retryAfter) {
    this(message, retryAfter, null);
  }

  /** How long a caller should wait before retrying. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
