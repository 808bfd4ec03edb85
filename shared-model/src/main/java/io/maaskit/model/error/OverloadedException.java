package io.maaskit.model.error;

import java.time.Duration;

/**
 * The process is at its admission limit: every forward-pass slot is busy and the wait queue is full
 * (or a request waited its longest for a slot). Refused at once so that callers retry or go
 * elsewhere instead of piling up; a subtype of {@link ModelUnavailableException}, so it maps to 503
 * with {@code Retry-After}.
 */
public class OverloadedException extends ModelUnavailableException {
  public OverloadedException(String message, Duration retryAfter) {
    super(message, retryAfter);
  }
}
