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

  /**
   * Time left before the caller's deadline, or null when it has none. Admission refuses at once a
   * request whose queued work would outlast it, instead of computing an answer nobody reads.
   */
  default Duration remaining() {
    return null;
  }

  /** Cancelled once {@code remaining} has passed from now. */
  static Cancellation deadline(Duration remaining) {
    long at = System.nanoTime() + remaining.toNanos();
    return new Cancellation() {
      @Override
      public String reason() {
        return System.nanoTime() - at >= 0
            ? "its deadline passed (" + remaining + " after it began)"
            : null;
      }

      @Override
      public Duration remaining() {
        return Duration.ofNanos(Math.max(0, at - System.nanoTime()));
      }
    };
  }

  /** Cancelled when either is; the earlier deadline of the two. */
  default Cancellation or(Cancellation other) {
    Cancellation self = this;
    return new Cancellation() {
      @Override
      public String reason() {
        String r = self.reason();
        return r != null ? r : other.reason();
      }

      @Override
      public Duration remaining() {
        Duration a = self.remaining();
        Duration b = other.remaining();
        return a == null ? b : b == null || a.compareTo(b) <= 0 ? a : b;
      }
    };
  }
}
