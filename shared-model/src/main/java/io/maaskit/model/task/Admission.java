package io.maaskit.model.task;

import io.maaskit.model.error.OverloadedException;
import io.maaskit.model.error.RequestCancelledException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission control, one per process and shared by every task service: at most {@code
 * maxConcurrentBatches} forward passes in flight, and at most {@code maxQueuedRequests} more
 * requests waiting; anything beyond is refused at once ({@link OverloadedException}: 503 +
 * Retry-After), never left hanging.
 *
 * <p>A request takes a slot per sub-batch, not for its whole life, and the slots are handed out
 * first come first served, so a 256-input batch's sub-batches interleave with small requests
 * instead of starving them.
 *
 * <pre>{@code
 * Admission admission = new Admission(AdmissionOptions.defaults());
 * try (Admission.Ticket t = admission.enter(Cancellation.NONE)) {
 *   for (var sub : subBatches) {
 *     t.run(() -> model.encode(sub));
 *   }
 * }
 * }</pre>
 */
public final class Admission {
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final AdmissionOptions options;
  private final Semaphore slots;
  private final AtomicInteger inside = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong refused =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong cancelled =
      new java.util.concurrent.atomic.AtomicLong();

  public Admission(AdmissionOptions options) {
    this.options = options;
    this.slots = new Semaphore(options.maxConcurrentBatches(), true);
  }

  /** No limits beyond one slot per core (for tools and tests that call the services directly). */
  public static Admission unlimited() {
    return new Admission(
        new AdmissionOptions(
            Math.max(1, Runtime.getRuntime().availableProcessors()),
            Integer.MAX_VALUE,
            Duration.ofDays(1),
            0));
  }

  /** The limits. */
  public AdmissionOptions options() {
    return options;
  }

  /** Requests admitted and not yet finished (holding a slot or waiting for one). */
  public int inside() {
    return inside.get();
  }

  /** Requests refused since start (at capacity, or waited too long for a slot). */
  public long refused() {
    return refused.get();
  }

  /** Requests stopped since start because their caller went away or their deadline passed. */
  public long cancelled() {
    return cancelled.get();
  }

  /**
   * Admits a request, or refuses it at once when the slots and the queue are full.
   *
   * @throws OverloadedException when the process is at its limit
   */
  public Ticket enter(Cancellation cancellation) {
    long limit = (long) options.maxConcurrentBatches() + options.maxQueuedRequests();
    int now = inside.incrementAndGet();
    if (now > limit) {
      inside.decrementAndGet();
      refused.incrementAndGet();
      throw new OverloadedException(
          "the server is at capacity ("
              + options.maxConcurrentBatches()
              + " batches running, "
              + options.maxQueuedRequests()
              + " requests queued); retry shortly",
          RETRY_AFTER);
    }
    return new Ticket(cancellation);
  }

  /** One admitted request: runs its sub-batches one slot at a time. Close it when done. */
  public final class Ticket implements AutoCloseable {
    private final Cancellation cancellation;
    private boolean closed;

    private Ticket(Cancellation cancellation) {
      this.cancellation = cancellation;
    }

    /** Throws {@link RequestCancelledException} when the caller no longer wants the result. */
    public void checkCancelled() {
      String reason = cancellation.reason();
      if (reason != null) {
        cancelled.incrementAndGet();
        throw new RequestCancelledException("request cancelled: " + reason);
      }
    }

    /**
     * Runs one sub-batch in a slot, waiting for one in turn (at most {@code maxWait}); checks
     * cancellation before and after the wait.
     */
    public <T> T run(java.util.function.Supplier<T> subBatch) {
      checkCancelled();
      boolean acquired;
      try {
        acquired = slots.tryAcquire(options.maxWait().toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RequestCancelledException("request cancelled: interrupted");
      }
      if (!acquired) {
        refused.incrementAndGet();
        throw new OverloadedException(
            "waited " + options.maxWait().toSeconds() + " s for a batch slot; retry shortly",
            RETRY_AFTER);
      }
      try {
        checkCancelled();
        return subBatch.get();
      } finally {
        slots.release();
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        inside.decrementAndGet();
      }
    }
  }
}
