package io.maaskit.functions.batch;

import io.maaskit.model.task.Cancellation;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Runs a batch's steps in the server itself, in the background, when no queue is configured: a
 * small pool of low-priority threads (one by default), so a batch advances while online requests
 * keep the CPU they need. A step that fails (the store is unreachable, a model will not load) runs
 * again after a pause; steps are idempotent, and {@link Batches#resume()} re-dispatches what a
 * stopped process left.
 */
public final class LocalDispatch implements Batches.Dispatch, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LocalDispatch.class);

  private final Batches batches;
  private final ScheduledThreadPoolExecutor pool;

  public LocalDispatch(Batches batches, int threads) {
    this.batches = batches;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        new ScheduledThreadPoolExecutor(
            Math.max(1, threads),
            r -> {
              Thread t = new Thread(r, "maas-batch-" + n.incrementAndGet());
              t.setDaemon(true);
              t.setPriority(Thread.MIN_PRIORITY);
              return t;
            });
  }

  @Override
  public void validate(String batchId) {
    submit("validating " + batchId, () -> batches.validate(batchId), 0);
  }

  @Override
  public void chunks(String batchId, List<Integer> chunks) {
    for (int k : chunks) {
      submit(
          "chunk " + k + " of " + batchId,
          () -> batches.runChunk(batchId, k, Cancellation.NONE),
          0);
    }
  }

  private void submit(String what, Runnable step, int attempt) {
    if (pool.isShutdown()) {
      return;
    }
    long delay = attempt == 0 ? 0 : Math.min(60, 1L << Math.min(attempt, 6));
    pool.schedule(
        () -> {
          try {
            step.run();
          } catch (RuntimeException e) {
            LOG.warnf("%s failed (%s); again in a while", what, e.toString());
            submit(what, step, attempt + 1);
          }
        },
        delay,
        TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
