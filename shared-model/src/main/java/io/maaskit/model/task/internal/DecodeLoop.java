package io.maaskit.model.task.internal;

import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.error.ModelException;
import io.maaskit.model.error.OverloadedException;
import io.maaskit.model.error.RequestCancelledException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching for one generator: a single thread runs {@link TextGenerator#forward} steps
 * over every active sequence at once. A new request joins at the next step (its prefill rides in
 * the same forward call as the others' one-token decodes), a finished or cancelled sequence leaves
 * at once and frees its place. At most {@code maxSequences} sequences are active and at most {@code
 * maxQueued} requests wait for room; anything beyond is refused with {@link OverloadedException}
 * (503 + Retry-After) instead of waiting without bound.
 */
public final class DecodeLoop implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DecodeLoop.class);
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final TextGenerator generator;
  private final int maxSequences;
  private final int maxQueued;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final ArrayDeque<DecodeJob> waiting = new ArrayDeque<>();
  private final Set<DecodeJob> jobs = new LinkedHashSet<>();
  private final List<DecodeSequence> active = new ArrayList<>();
  private final Thread thread;
  private volatile boolean closed;
  private volatile long steps;

  public DecodeLoop(TextGenerator generator, int maxSequences, int maxQueued, String name) {
    this.generator = generator;
    this.maxSequences = maxSequences;
    this.maxQueued = maxQueued;
    this.thread = new Thread(this::run, "maas-decode-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Queues a job; its sequences join the batch as soon as there is room.
   *
   * @throws OverloadedException when the batch is full and {@code maxQueued} jobs already wait
   */
  public void submit(DecodeJob job) {
    lock.lock();
    try {
      if (closed) {
        throw new OverloadedException("the generator is shutting down", RETRY_AFTER);
      }
      boolean room = waiting.isEmpty() && fits(job);
      if (!room && waiting.size() >= maxQueued) {
        throw new OverloadedException(
            "the generator is at capacity ("
                + maxSequences
                + " sequences decoding, "
                + maxQueued
                + " requests queued); retry shortly",
            RETRY_AFTER);
      }
      waiting.add(job);
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  private boolean fits(DecodeJob job) {
    return active.isEmpty() || active.size() + job.sequences().size() <= maxSequences;
  }

  /** Sequences decoding now. */
  public int activeSequences() {
    lock.lock();
    try {
      return active.size();
    } finally {
      lock.unlock();
    }
  }

  /** Requests waiting for room. */
  public int queued() {
    lock.lock();
    try {
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  /** Forward steps run since start. */
  public long steps() {
    return steps;
  }

  private void run() {
    while (!closed) {
      List<DecodeSequence> batch;
      lock.lock();
      try {
        while (!waiting.isEmpty() && fits(waiting.peek())) {
          DecodeJob j = waiting.poll();
          jobs.add(j);
          active.addAll(j.sequences());
        }
        if (active.isEmpty()) {
          try {
            work.await();
          } catch (InterruptedException e) {
            return;
          }
          continue;
        }
        batch = new ArrayList<>(active);
      } finally {
        lock.unlock();
      }
      for (DecodeJob j : new ArrayList<>(jobs)) {
        String reason = j.cancellation().reason();
        if (reason != null) {
          fail(j, new RequestCancelledException("request cancelled: " + reason));
        }
      }
      batch.removeIf(DecodeSequence::done);
      if (!batch.isEmpty()) {
        step(batch);
      }
      retire();
    }
  }

  /** One forward call over the batch, then each sequence's pick. */
  private void step(List<DecodeSequence> batch) {
    List<TextGenerator.KvCache> caches = new ArrayList<>(batch.size());
    List<int[]> tokens = new ArrayList<>(batch.size());
    float[][] logits;
    try {
      for (DecodeSequence s : batch) {
        caches.add(s.cache(generator));
        tokens.add(s.feed());
      }
      logits = generator.forward(caches, tokens);
      steps++;
    } catch (RuntimeException | Error e) {
      LOG.warn("a decode step over {} sequences failed", batch.size(), e);
      RuntimeException failure =
          e instanceof ModelException m
              ? m
              : new IllegalStateException("generation failed: " + e, e);
      for (DecodeSequence s : batch) {
        fail(s.job(), failure);
      }
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      DecodeSequence s = batch.get(i);
      try {
        s.step(logits[i]);
      } catch (RuntimeException e) {
        LOG.warn("a sequence failed after its step", e);
        fail(s.job(), e);
      }
    }
  }

  /**
   * Frees the places of finished and failed sequences, then completes their jobs (so a caller that
   * sees its result also sees its place free).
   */
  private void retire() {
    List<DecodeJob> ended = new ArrayList<>();
    lock.lock();
    try {
      for (Iterator<DecodeSequence> it = active.iterator(); it.hasNext(); ) {
        DecodeSequence s = it.next();
        if (s.done()) {
          s.close();
          it.remove();
        }
      }
      jobs.removeIf(
          j -> {
            if (j.sequences().stream().allMatch(DecodeSequence::done)) {
              ended.add(j);
              return true;
            }
            return false;
          });
    } finally {
      lock.unlock();
    }
    ended.forEach(DecodeJob::end);
  }

  private static void fail(DecodeJob j, RuntimeException e) {
    for (DecodeSequence s : j.sequences()) {
      s.abort();
    }
    j.fail(e);
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      for (DecodeJob j : waiting) {
        j.fail(new OverloadedException("the generator is shutting down", RETRY_AFTER));
        j.end();
      }
      waiting.clear();
      work.signalAll();
    } finally {
      lock.unlock();
    }
    thread.interrupt();
    // The thread ends before its generator is closed (the registry unloads it next): wait for the
    // step in flight, bounded so shutdown cannot hang on it.
    if (Thread.currentThread() != thread) {
      try {
        thread.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether the decode thread still runs. */
  public boolean running() {
    return thread.isAlive();
  }
}
