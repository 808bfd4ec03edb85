package io.maaskit.model.queue;

import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.task.Cancellation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageRequest;

/**
 * A long-running SQS consumer for containers and local use (a Lambda gets its records from the
 * event source mapping and calls {@link QueueMessageHandler} itself). {@link
 * QueueSettings#concurrency()} threads long-poll the queue, run each message through the handler
 * and delete it only after its result is written (or found already written). A message that fails
 * stays on the queue: it is received again after its visibility timeout and, after the redrive
 * policy's {@code maxReceiveCount}, moved to the dead-letter queue. Nothing is lost by a crash
 * either: an undeleted message simply comes back.
 *
 * <p>Permanent failures (an invalid message, an unknown model) are made visible again at once when
 * the queue has a redrive policy, so they reach the dead-letter queue in seconds instead of {@code
 * maxReceiveCount} visibility timeouts; without one they wait out the visibility timeout, never
 * spinning. A model still loading ({@link ModelUnavailableException}) delays the message by its
 * {@code retryAfter}.
 *
 * <pre>{@code
 * QueueSettings settings = QueueSettings.of(queueUrl, "s3://bucket/results", null);
 * try (SqsClient sqs = SqsClient.create(); S3Client s3 = S3Client.create();
 *     QueueWorker worker = QueueWorker.start(sqs, settings,
 *         new QueueMessageHandler<>(format, tasks, ResultSink.of(settings, s3, sqs), errors))) {
 *   Runtime.getRuntime().addShutdownHook(new Thread(worker::close));
 *   worker.awaitClose();
 * }
 * }</pre>
 */
public final class QueueWorker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(QueueWorker.class);

  private final SqsClient sqs;
  private final QueueSettings settings;
  private final QueueMessageHandler<?> handler;
  private boolean hasRedrive;
  private int queueVisibilitySeconds;
  private final ExecutorService receivers;
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private volatile boolean running = true;

  /** Counts since start. */
  public record Stats(long written, long duplicates, long failed) {}

  private QueueWorker(SqsClient sqs, QueueSettings settings, QueueMessageHandler<?> handler) {
    if (settings.queueUrl() == null) {
      throw new IllegalArgumentException("the queue worker needs a queue URL (MAAS_QUEUE_URL)");
    }
    this.sqs = sqs;
    this.settings = settings;
    this.handler = handler;
    readQueueAttributes();
    AtomicInteger ids = new AtomicInteger();
    this.receivers =
        Executors.newFixedThreadPool(
            settings.concurrency(), r -> new Thread(r, "maas-queue-" + ids.incrementAndGet()));
  }

  /**
   * Starts polling.
   *
   * @param sqs an injected client (the caller closes it, after the worker)
   */
  public static QueueWorker start(
      SqsClient sqs, QueueSettings settings, QueueMessageHandler<?> handler) {
    QueueWorker w = new QueueWorker(sqs, settings, handler);
    for (int i = 0; i < settings.concurrency(); i++) {
      w.receivers.execute(w::receiveLoop);
    }
    LOG.info(
        "polling {} with {} receivers ({} s long polls); results to {}{}",
        settings.queueUrl(),
        settings.concurrency(),
        settings.waitTimeSeconds(),
        handler.sink(),
        w.hasRedrive
            ? ""
            : "; the queue has no redrive policy, so failing messages are retried until they expire");
    return w;
  }

  /** Messages written, duplicates skipped and deliveries failed since start. */
  public Stats stats() {
    return new Stats(written.get(), duplicates.get(), failed.get());
  }

  /** Blocks until {@link #close()} has run (from another thread, e.g. a shutdown hook). */
  public void awaitClose() throws InterruptedException {
    while (!receivers.awaitTermination(1, TimeUnit.DAYS)) {
      // keep waiting
    }
  }

  /**
   * Stops receiving and waits for the receivers: each finishes the message it is running, hands
   * back the rest of its batch (visible again at once) and exits. An idle receiver returns when its
   * long poll ends, so this takes up to {@link QueueSettings#waitTimeSeconds()} plus the slowest
   * message in hand.
   */
  @Override
  public void close() {
    running = false;
    receivers.shutdown();
    try {
      if (!receivers.awaitTermination(settings.waitTimeSeconds() + 60L, TimeUnit.SECONDS)) {
        LOG.warn(
            "queue receivers did not stop in time; interrupting them (their messages will be redelivered)");
        receivers.shutdownNow();
      }
    } catch (InterruptedException e) {
      receivers.shutdownNow();
      Thread.currentThread().interrupt();
    }
    LOG.info("stopped polling {}: {}", settings.queueUrl(), stats());
  }

  /** The redrive policy's presence, and the queue's visibility timeout (the deadlines' budget). */
  private void readQueueAttributes() {
    try {
      Map<QueueAttributeName, String> attrs =
          sqs.getQueueAttributes(
                  b ->
                      b.queueUrl(settings.queueUrl())
                          .attributeNames(
                              QueueAttributeName.REDRIVE_POLICY,
                              QueueAttributeName.VISIBILITY_TIMEOUT))
              .attributes();
      hasRedrive = attrs.get(QueueAttributeName.REDRIVE_POLICY) != null;
      String v = attrs.get(QueueAttributeName.VISIBILITY_TIMEOUT);
      queueVisibilitySeconds = v == null ? 0 : Integer.parseInt(v);
    } catch (SdkException | NumberFormatException e) {
      LOG.warn(
          "cannot read the redrive policy of {} ({}); failing messages wait out their visibility timeout",
          settings.queueUrl(),
          e.getMessage());
    }
  }

  /** Time kept back from a message's visibility timeout to write its result and delete it. */
  static final Duration DEADLINE_MARGIN = Duration.ofSeconds(1);

  /**
   * A received message's deadline: its visibility timeout (the worker's, else the queue's) less
   * {@link #DEADLINE_MARGIN}, from when it was received. Work that outlasts it would be delivered
   * to another receiver meanwhile; a task that honours it stops instead and the message is
   * redelivered.
   */
  private Cancellation deadline(long receivedNanos) {
    int visibility =
        settings.visibilityTimeoutSeconds() > 0
            ? settings.visibilityTimeoutSeconds()
            : queueVisibilitySeconds;
    if (visibility <= 0) {
      return Cancellation.NONE;
    }
    long left =
        receivedNanos
            + Duration.ofSeconds(visibility).minus(DEADLINE_MARGIN).toNanos()
            - System.nanoTime();
    return Cancellation.deadline(Duration.ofNanos(Math.max(0, left)));
  }

  private void receiveLoop() {
    ReceiveMessageRequest.Builder req =
        ReceiveMessageRequest.builder()
            .queueUrl(settings.queueUrl())
            .maxNumberOfMessages(settings.maxMessages())
            .waitTimeSeconds(settings.waitTimeSeconds())
            .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT);
    if (settings.visibilityTimeoutSeconds() > 0) {
      req.visibilityTimeout(settings.visibilityTimeoutSeconds());
    }
    ReceiveMessageRequest request = req.build();
    long backoffMillis = 0;
    while (running) {
      List<Message> batch;
      long receivedNanos;
      try {
        batch = sqs.receiveMessage(request).messages();
        receivedNanos = System.nanoTime();
        backoffMillis = 0;
      } catch (SdkException e) {
        if (!running) {
          break;
        }
        backoffMillis = Math.min(30_000, Math.max(500, backoffMillis * 2));
        LOG.warn(
            "receiving from {} failed ({}); retrying in {} ms",
            settings.queueUrl(),
            e.getMessage(),
            backoffMillis);
        if (!sleep(backoffMillis)) {
          break;
        }
        continue;
      }
      for (Message m : batch) {
        if (running) {
          process(m, deadline(receivedNanos));
        } else {
          changeVisibility(m, 0);
        }
      }
    }
  }

  private void process(Message m, Cancellation deadline) {
    String receives =
        m.attributes().getOrDefault(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT, "?");
    long t0 = System.nanoTime();
    QueueMessageHandler.Outcome o;
    try {
      o = handler.handle(m.messageId(), m.body(), deadline);
    } catch (InvalidRequestException | ModelNotFoundException e) {
      failed.incrementAndGet();
      LOG.warn("message {} rejected (receive {}): {}", m.messageId(), receives, e.getMessage());
      if (hasRedrive) {
        changeVisibility(m, 0);
      }
      return;
    } catch (ModelUnavailableException e) {
      failed.incrementAndGet();
      LOG.warn(
          "message {} deferred {} s (receive {}): {}",
          m.messageId(),
          e.retryAfter().toSeconds(),
          receives,
          e.getMessage());
      changeVisibility(m, (int) Math.min(43_200, Math.max(1, e.retryAfter().toSeconds())));
      return;
    } catch (RuntimeException e) {
      failed.incrementAndGet();
      LOG.error(
          "message {} failed (receive {}); it will be redelivered", m.messageId(), receives, e);
      return;
    }
    long millis = (System.nanoTime() - t0) / 1_000_000;
    if (o.kind() == QueueMessageHandler.Outcome.Kind.WRITTEN) {
      written.incrementAndGet();
      LOG.info(
          "message {} ({} id={} model={}) done in {} ms (receive {})",
          m.messageId(),
          o.result().task(),
          o.result().id(),
          o.result().model(),
          millis,
          receives);
    } else {
      duplicates.incrementAndGet();
      LOG.info(
          "message {} already has a result (receive {}); deleting the redelivery",
          m.messageId(),
          receives);
    }
    try {
      sqs.deleteMessage(b -> b.queueUrl(settings.queueUrl()).receiptHandle(m.receiptHandle()));
    } catch (SdkException e) {
      // The result is stored: the redelivery will be recognised as a duplicate and deleted then.
      LOG.warn(
          "deleting message {} failed ({}); its redelivery will be skipped as a duplicate",
          m.messageId(),
          e.getMessage());
    }
  }

  private void changeVisibility(Message m, int seconds) {
    try {
      sqs.changeMessageVisibility(
          b ->
              b.queueUrl(settings.queueUrl())
                  .receiptHandle(m.receiptHandle())
                  .visibilityTimeout(seconds));
    } catch (SdkException e) {
      LOG.debug("changing the visibility of message {} failed: {}", m.messageId(), e.getMessage());
    }
  }

  private static boolean sleep(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
