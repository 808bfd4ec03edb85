package io.maaskit.it.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.queue.*;
import io.maaskit.model.queue.internal.S3ResultSink;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Environment parsing and validation of the queue settings; the sinks they select. */
class QueueSettingsTest {
  @Test
  void ofAppliesTheDefaultsAndCopiesChangeOneField() {
    QueueSettings s =
        QueueSettings.of(
            "https://sqs.eu-west-1.amazonaws.com/123456789012/maas", "s3://bucket/results", " ");
    assertEquals("https://sqs.eu-west-1.amazonaws.com/123456789012/maas", s.queueUrl());
    assertEquals("s3://bucket/results", s.resultsUri());
    assertNull(s.resultsQueueUrl());
    assertEquals(2, s.concurrency());
    assertEquals(20, s.waitTimeSeconds());
    assertEquals(0, s.visibilityTimeoutSeconds());
    assertEquals(10, s.maxMessages());

    QueueSettings t =
        QueueSettings.of(null, null, "https://sqs/123/results")
            .withConcurrency(4)
            .withWaitTimeSeconds(5)
            .withVisibilityTimeoutSeconds(120)
            .withMaxMessages(1);
    assertEquals(new QueueSettings(null, null, "https://sqs/123/results", 4, 5, 120, 1), t);
  }

  @Test
  void errorsNameTheProblemOrTheRange() {
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class, () -> QueueSettings.of("https://q", null, null));
    assertTrue(none.getMessage().startsWith("queue results need a destination"), none.getMessage());
    IllegalArgumentException many =
        assertThrows(
            IllegalArgumentException.class,
            () -> QueueSettings.of("q", "s3://bucket/r", null).withMaxMessages(11));
    assertEquals("queue messages per receive must be between 1 and 10, got 11", many.getMessage());
    IllegalArgumentException wait =
        assertThrows(
            IllegalArgumentException.class,
            () -> QueueSettings.of("q", "s3://bucket/r", null).withWaitTimeSeconds(30));
    assertEquals("queue wait time (seconds) must be between 0 and 20, got 30", wait.getMessage());
    IllegalArgumentException uri =
        assertThrows(
            IllegalArgumentException.class, () -> QueueSettings.of("q", "https://bucket/r", null));
    assertTrue(uri.getMessage().contains("not an S3 URI"), uri.getMessage());
  }

  @Test
  void sinksFollowTheSettings() {
    assertInstanceOf(
        S3ResultSink.class,
        ResultSink.of(QueueSettings.of(null, "s3://bucket/r", " "), dummyS3(), null));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ResultSink.of(QueueSettings.of(null, null, "https://sqs/1/q"), null, null));
    assertEquals("results go to https://sqs/1/q but no SQS client was given", e.getMessage());
  }

  @Test
  void workerNeedsAQueueUrl() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                QueueWorker.start(
                    null,
                    QueueSettings.of(null, "s3://bucket/r", null),
                    new QueueMessageHandler<>(
                        new MessageFormat<String>() {
                          @Override
                          public Message<String> read(String body) {
                            return new Message<>(null, "x", body);
                          }

                          @Override
                          public byte[] write(QueueResult result) {
                            return new byte[0];
                          }
                        },
                        Map.of("x", m -> null),
                        ResultSink.of(
                            QueueSettings.of(null, "s3://bucket/r", null), dummyS3(), null),
                        QueueMessageHandler.ErrorResults.NONE)));
    assertEquals("the queue worker needs a queue URL (MAAS_QUEUE_URL)", e.getMessage());
  }

  private static software.amazon.awssdk.services.s3.S3Client dummyS3() {
    // Only constructed, never called: no request leaves the process.
    return software.amazon.awssdk.services.s3.S3Client.builder()
        .region(software.amazon.awssdk.regions.Region.US_EAST_1)
        .credentialsProvider(
            software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider.create())
        .build();
  }
}
