package io.maaskit.model.queue;

import io.maaskit.model.store.internal.S3Location;

/**
 * Where queue messages come from and where their results go, and how the {@link QueueWorker} polls.
 * The core reads no environment: adapters build the record from their configuration (the functions'
 * {@code maas.queue.*} and {@code maas.results.*}) with {@link #of}, whose defaults are defined
 * here and nowhere else, and the {@code with…} copies.
 *
 * <pre>{@code
 * QueueSettings t = QueueSettings.of(queueUrl, "s3://bucket/results", null).withConcurrency(4);
 * }</pre>
 *
 * @param queueUrl the queue to poll; only the {@link QueueWorker} needs it (a Lambda is handed its
 *     records), so it may be null
 * @param resultsUri {@code s3://bucket/prefix} for one result object per message, or null
 * @param resultsQueueUrl a queue to send each result to, or null; at least one of the two is set
 * @param concurrency receiver threads, each long-polling and running its messages (1–64)
 * @param waitTimeSeconds long-poll wait per receive (0–20); also bounds how long {@link
 *     QueueWorker#close()} waits for an idle receiver
 * @param visibilityTimeoutSeconds how long a received message stays hidden before it is redelivered
 *     (0 = the queue's own setting); must exceed the slowest message's processing time
 * @param maxMessages messages per receive (1–10)
 */
public record QueueSettings(
    String queueUrl,
    String resultsUri,
    String resultsQueueUrl,
    int concurrency,
    int waitTimeSeconds,
    int visibilityTimeoutSeconds,
    int maxMessages) {

  /** Default receivers: 2. */
  public static final int DEFAULT_CONCURRENCY = 2;

  /** Default long-poll wait: 20 s, SQS's maximum (fewest empty receives). */
  public static final int DEFAULT_WAIT_TIME_SECONDS = 20;

  /** Default messages per receive: 10, SQS's maximum. */
  public static final int DEFAULT_MAX_MESSAGES = 10;

  public QueueSettings {
    queueUrl = blankToNull(queueUrl);
    resultsUri = blankToNull(resultsUri);
    resultsQueueUrl = blankToNull(resultsQueueUrl);
    if (resultsUri == null && resultsQueueUrl == null) {
      throw new IllegalArgumentException(
          "queue results need a destination: an S3 URI (s3://bucket/prefix), a results queue URL, or both");
    }
    if (resultsUri != null) {
      S3Location.parse(resultsUri);
    }
    check("concurrency", concurrency, 1, 64);
    check("wait time (seconds)", waitTimeSeconds, 0, 20);
    check("visibility timeout (seconds)", visibilityTimeoutSeconds, 0, 43_200);
    check("messages per receive", maxMessages, 1, 10);
  }

  /**
   * Settings with default polling: 2 receivers, 20 s long polls, the queue's visibility, 10 per
   * receive.
   */
  public static QueueSettings of(String queueUrl, String resultsUri, String resultsQueueUrl) {
    return new QueueSettings(
        queueUrl,
        resultsUri,
        resultsQueueUrl,
        DEFAULT_CONCURRENCY,
        DEFAULT_WAIT_TIME_SECONDS,
        0,
        DEFAULT_MAX_MESSAGES);
  }

  /** A copy with another number of receivers. */
  public QueueSettings withConcurrency(int n) {
    return new QueueSettings(
        queueUrl,
        resultsUri,
        resultsQueueUrl,
        n,
        waitTimeSeconds,
        visibilityTimeoutSeconds,
        maxMessages);
  }

  /** A copy with another long-poll wait. */
  public QueueSettings withWaitTimeSeconds(int s) {
    return new QueueSettings(
        queueUrl,
        resultsUri,
        resultsQueueUrl,
        concurrency,
        s,
        visibilityTimeoutSeconds,
        maxMessages);
  }

  /** A copy with another visibility timeout (0 = the queue's). */
  public QueueSettings withVisibilityTimeoutSeconds(int s) {
    return new QueueSettings(
        queueUrl, resultsUri, resultsQueueUrl, concurrency, waitTimeSeconds, s, maxMessages);
  }

  /** A copy with another number of messages per receive. */
  public QueueSettings withMaxMessages(int n) {
    return new QueueSettings(
        queueUrl,
        resultsUri,
        resultsQueueUrl,
        concurrency,
        waitTimeSeconds,
        visibilityTimeoutSeconds,
        n);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static void check(String what, int v, int min, int max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException(
          "queue " + what + " must be between " + min + " and " + max + ", got " + v);
    }
  }
}
