package io.maaskit.model.task;

import io.maaskit.model.error.OverloadedException;
import io.maaskit.model.error.RequestCancelledException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission control, one per process and shared by every task service: at most {@code
 * maxConcurrentBatches} forward passes in flight, and at most {@code maxQueuedRequests} more
 * requests waiting; anything beyond is refused at once ({@link OverloadedException}: 503 +
 * Retry-After), never left hanging.
 *
 * <p>A request takes a slot per sub-batch, not for its whole life. A free slot goes to the waiting
 * sub-batch with the earliest <em>virtual deadline</em>: the time it started waiting plus the time
 * it is expected to take (its padded tokens times the measured time per token). A one-input request
 * that arrives while a 64-input sub-batch waits therefore goes first, so small requests are not
 * stuck behind big batches; and since every later arrival gets a later deadline, a big sub-batch is
 * never passed over for ever (earliest-eligible-deadline scheduling, in miniature).
 *
 * <pre>{@code
 * Admission admission = new Admission(AdmissionOptions.defaults());
 * try (Admission.Ticket t = admission.enter(Cancellation.NONE)) {
 *   for (var sub : subBatches) {
 *     t.run(sub.paddedTokens(), () -> model.encode(sub));
 *   }
 * }
 * }</pre>
 */
public final class Admission {
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final AdmissionOptions options;
  private final Object lock = new Object();
  private final java.util.PriorityQueue<Waiter> waiting =
      new java.util.PriorityQueue<>(
          java.util.Comparator.comparingLong((Waiter w) -> w.deadline)
              .thenComparingLong(w -> w.seq));
  private int free;
  private long seq;

  /**
   * Measured compute time per padded token, for the virtual deadlines: decayed sums of time and of
   * tokens, so big sub-batches weigh by their size (a mean of per-call ratios would let the fixed
   * overhead of one-input calls inflate it, and push big sub-batches back until they time out).
   */
  private volatile double nanosPerToken = 50_000;

  private double decayedNanos;
  private double decayedTokens;

  private synchronized void measured(long nanos, long tokens) {
    decayedNanos = 0.95 * decayedNanos + nanos;
    decayedTokens = 0.95 * decayedTokens + tokens;
    nanosPerToken = decayedNanos / decayedTokens;
  }

  private static final class Waiter {
    final long deadline;
    final long seq;
    boolean granted;

    Waiter(long deadline, long seq) {
      this.deadline = deadline;
      this.seq = seq;
    }
  }

  private final AtomicInteger inside = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong refused =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong cancelled =
      new java.util.concurrent.atomic.AtomicLong();

  public Admission(AdmissionOptions options) {
    this.options = options;
    this.free = options.maxConcurrentBatches();
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

  /** Sub-batches waiting for a slot now. */
  int waiting() {
    synchronized (lock) {
      return waiting.size();
    }
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

  private void acquire(long cost, Ticket ticket) {
    long now = System.nanoTime();
    long giveUp = now + options.maxWait().toNanos();
    synchronized (lock) {
      if (free > 0 && waiting.isEmpty()) {
        free--;
        return;
      }
      Waiter w = new Waiter(now + (long) (cost * nanosPerToken), seq++);
      waiting.add(w);
      while (!w.granted) {
        long left = giveUp - System.nanoTime();
        String reason = ticket.cancellation.reason();
        if (left <= 0 || reason != null) {
          waiting.remove(w);
          if (reason != null) {
            cancelled.incrementAndGet();
            throw new RequestCancelledException("request cancelled: " + reason);
          }
          refused.incrementAndGet();
          throw new OverloadedException(
              "waited " + options.maxWait().toSeconds() + " s for a batch slot; retry shortly",
              RETRY_AFTER);
        }
        try {
          // Wake at least every 100 ms to notice a client that went away while waiting.
          lock.wait(Math.max(1, Math.min(100, left / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          if (w.granted) {
            releaseLocked();
          } else {
            waiting.remove(w);
          }
          throw new RequestCancelledException("request cancelled: interrupted");
        }
      }
    }
  }

  private void release() {
    synchronized (lock) {
      releaseLocked();
    }
  }

  private void releaseLocked() {
    Waiter next = waiting.poll();
    if (next == null) {
      free++;
    } else {
      next.granted = true;
      lock.notifyAll();
    }
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
     * cancellation before, while waiting and after.
     *
     * @param paddedTokens the sub-batch's size (inputs × its longest input), its expected cost
     */
    public <T> T run(long paddedTokens, java.util.function.Supplier<T> subBatch) {
      checkCancelled();
      acquire(Math.max(1, paddedTokens), this);
      long t0 = System.nanoTime();
      try {
        checkCancelled();
        T out = subBatch.get();
        measured(System.nanoTime() - t0, Math.max(1, paddedTokens));
        return out;
      } finally {
        release();
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
