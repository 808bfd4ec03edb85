package io.maaskit.model.task;

import java.time.Duration;

/**
 * Whether the caller of a request still wants its result. The task services check it before each
 * sub-batch and stop with {@link io.maaskit.model.error.RequestCancelledException} once it says so;
 * an adapter builds one from what it knows (a closed connection, a Lambda's remaining time).
 *
 * <pre>{@code
 * Cancellation c = Cancellation.deadline(Duration.ofMillis(context.getRemainingTimeInMillis() - 500));
 * embeddings.embed(request, c);
 * }</pre>
 */
@FunctionalInterface
public interface Cancellation {
  /** Never cancelled. */
  Cancellation NONE = () -> null;

  /** Why the request is cancelled ("the client disconnected"), or null while it is wanted. */
  String reason();

  /** Cancelled once {@code remaining} has passed from now. */
  static Cancellation deadline(Duration remaining) {
    long at = System.nanoTime() + remaining.toNanos();
    return () ->
        System.nanoTime() - at >= 0
            ? "its deadline passed (" + remaining + " after it began)"
            : null;
  }

  /** Cancelled when either is. */
  default Cancellation or(Cancellation other) {
    return () -> {
      String r = reason();
      return r != null ? r : other.reason();
    };
  }
}
