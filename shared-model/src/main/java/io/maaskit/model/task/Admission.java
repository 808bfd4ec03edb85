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
 * sub-batch with the earliest <em>virtual deadline</em>: the time its request was admitted plus the
 * time the whole request is expected to take (its price in tokens, or the padded tokens of its
 * sub-batches so far if more, times the measured time per token). A one-input request that arrives
 * while a 64-input sub-batch waits therefore goes first, so small requests are not stuck behind big
 * batches; since every later arrival gets a later deadline, a big sub-batch is never passed over
 * for ever; and two big requests run one after the other rather than interleaved
 * (earliest-eligible-deadline scheduling, in miniature). Tickets are priced by work ({@link
 * #enter(long, Cancellation)}: inputs × tokens), which {@code /info} shows, and a caller's deadline
 * refuses at once what the work ahead would make late.
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
  private final java.util.concurrent.atomic.AtomicLong workInside =
      new java.util.concurrent.atomic.AtomicLong();
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
   * Admits a request of unknown size, or refuses it at once when the slots and the queue are full.
   *
   * @throws OverloadedException when the process is at its limit
   */
  public Ticket enter(Cancellation cancellation) {
    return enter(1, cancellation);
  }

  /**
   * Admits a request priced at {@code work} (its inputs × their tokens, estimated before
   * tokenizing), or refuses it at once (503 + Retry-After): when the slots and the queue are full,
   * or when the caller has a deadline ({@link Cancellation#remaining()}) that the work admitted
   * ahead of it plus its own, at the measured time per token, would outlast.
   *
   * @throws OverloadedException when the process is at its limit or the deadline cannot be met
   */
  public Ticket enter(long work, Cancellation cancellation) {
    long price = Math.max(1, work);
    int now = inside.incrementAndGet();
    if (now > limit()) {
      inside.decrementAndGet();
      throw refuse();
    }
    Duration left = cancellation.remaining();
    if (left != null) {
      double expected = (workInside.get() + price) * nanosPerToken / options.maxConcurrentBatches();
      if (expected > left.toNanos()) {
        inside.decrementAndGet();
        refused.incrementAndGet();
        throw new OverloadedException(
            "the work admitted ahead of this request and its own (about "
                + seconds(expected)
                + " s at "
                + Math.round(1e9 / nanosPerToken)
                + " tokens/s) would outlast its deadline ("
                + seconds(left.toNanos())
                + " s left); retry shortly or with a longer deadline",
            RETRY_AFTER);
      }
    }
    workInside.addAndGet(price);
    return new Ticket(cancellation, price);
  }

  private static String seconds(double nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
  }

  /** Work (tokens) of the requests admitted now, running or waiting. */
  public long workInside() {
    return workInside.get();
  }

  private long limit() {
    return (long) options.maxConcurrentBatches() + options.maxQueuedRequests();
  }

  /**
   * Whether a request arriving now would be refused: every slot and every place in the queue is
   * taken. An adapter asks this before it reads a request's body, so that a refusal under overload
   * costs no reading or parsing ({@link #refuse()} then gives the error).
   */
  public boolean full() {
    return inside.get() >= limit();
  }

  /** Counts a refusal at capacity and returns its error (503 + Retry-After). */
  public OverloadedException refuse() {
    refused.incrementAndGet();
    return new OverloadedException(
        "the server is at capacity ("
            + options.maxConcurrentBatches()
            + " batches running, "
            + options.maxQueuedRequests()
            + " requests queued); retry shortly",
        RETRY_AFTER);
  }

  private void acquire(long cost, Ticket ticket) {
    long now = System.nanoTime();
    ticket.asked += cost;
    long giveUp = now + options.maxWait().toNanos();
    synchronized (lock) {
      if (free > 0 && waiting.isEmpty()) {
        free--;
        return;
      }
      // The request's virtual finish: when it was admitted plus the time its whole price (or the
      // work it has asked for, if more) is expected to take. Sub-batches of one big request keep
      // the place its admission earned instead of starting over at the back each time, and two big
      // requests run one after the other, not interleaved (which would finish both late, or
      // neither within a client's patience); a small request admitted meanwhile still goes first.
      long work = Math.max(ticket.price, ticket.asked);
      Waiter w = new Waiter(ticket.admittedNanos + (long) (work * nanosPerToken), seq++);
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
    private final long price;
    private final long admittedNanos = System.nanoTime();
    private long asked; // padded tokens of the sub-batches run or waiting so far
    private boolean holding; // a slot is held between this request's sub-batches
    private boolean closed;

    private Ticket(Cancellation cancellation, long price) {
      this.cancellation = cancellation;
      this.price = price;
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
      long cost = Math.max(1, paddedTokens);
      if (!keepSlot(cost)) {
        acquire(cost, this);
        holding = true;
      }
      long t0 = System.nanoTime();
      boolean ok = false;
      try {
        checkCancelled();
        T out = subBatch.get();
        measured(System.nanoTime() - t0, cost);
        ok = true;
        return out;
      } finally {
        if (!ok) {
          holding = false;
          release();
        }
      }
    }

    /**
     * Between its sub-batches a request keeps its slot while no waiting sub-batch has an earlier
     * virtual deadline: handing it to the next waiter at every release would interleave two big
     * requests (the second's sub-batch waits while the first's next one is being prepared).
     */
    private boolean keepSlot(long cost) {
      if (!holding) {
        return false;
      }
      synchronized (lock) {
        asked += cost;
        Waiter next = waiting.peek();
        long mine = admittedNanos + (long) (Math.max(price, asked) * nanosPerToken);
        if (next == null || mine <= next.deadline) {
          return true;
        }
        asked -= cost; // asked again in acquire()
        holding = false;
        releaseLocked();
        return false;
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        if (holding) {
          holding = false;
          release();
        }
        inside.decrementAndGet();
        workInside.addAndGet(-price);
      }
    }
  }
}
