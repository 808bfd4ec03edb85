package io.maaskit.model.queue.internal;

import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.queue.ResultSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * Sends each result as one message to a results queue, for clients that would rather poll a queue
 * than S3. The body is the result JSON; the result's {@code message_id} tells the client which
 * request it answers.
 *
 * <p>Idempotency is weaker than S3's, because a queue cannot be asked what it holds:
 *
 * <ul>
 *   <li>{@link #has} remembers the message ids this sink sent, within this process (the most recent
 *       {@code rememberedIds}): a redelivery to the same worker sends nothing again.
 *   <li>On a FIFO results queue (URL ending in {@code .fifo}) each result is sent with {@code
 *       MessageDeduplicationId = message id}, so SQS drops a repeat sent within its 5-minute
 *       deduplication window, whichever process sends it.
 *   <li>On a standard queue a redelivery that lands on another process (or after a restart) sends
 *       the result again: consumers must tolerate duplicates, keyed by {@code message_id}.
 * </ul>
 *
 * Pair it with an {@link S3ResultSink} in a {@link CompositeResultSink} for exactly one stored
 * result per message. Results larger than {@code maxMessageBytes} (SQS's default limit is 256 KiB:
 * about 60 384-dimension embeddings) are refused with a {@link PayloadTooLargeException}.
 *
 * <pre>{@code
 * ResultSink sink = new SqsResultSink(sqs, "https://sqs.eu-west-1.amazonaws.com/123456789012/maas-results");
 * }</pre>
 */
public final class SqsResultSink implements ResultSink {
  /** SQS's default (and ElasticMQ's) maximum message size: 256 KiB. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

  /** How many sent message ids a sink remembers by default. */
  public static final int DEFAULT_REMEMBERED_IDS = 100_000;

  private final SqsClient sqs;
  private final String queueUrl;
  private final boolean fifo;
  private final int maxMessageBytes;
  private final Set<String> sent;

  /** A sink with the default limits, over an injected client (the caller closes it). */
  public SqsResultSink(SqsClient sqs, String queueUrl) {
    this(sqs, queueUrl, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REMEMBERED_IDS);
  }

  /**
   * @param maxMessageBytes the results queue's {@code MaximumMessageSize}
   * @param rememberedIds how many sent message ids to remember (oldest forgotten first)
   */
  public SqsResultSink(SqsClient sqs, String queueUrl, int maxMessageBytes, int rememberedIds) {
    if (queueUrl == null || queueUrl.isBlank()) {
      throw new IllegalArgumentException("results queue URL is empty");
    }
    if (maxMessageBytes < 1024 || rememberedIds < 1) {
      throw new IllegalArgumentException(
          "maxMessageBytes must be at least 1024 and rememberedIds at least 1");
    }
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.fifo = queueUrl.endsWith(".fifo");
    this.maxMessageBytes = maxMessageBytes;
    this.sent =
        Collections.newSetFromMap(
            Collections.synchronizedMap(
                new LinkedHashMap<>(1024, 0.75f, false) {
                  @Override
                  protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > rememberedIds;
                  }
                }));
  }

  @Override
  public boolean has(String messageId) {
    return sent.contains(messageId);
  }

  @Override
  public void write(String messageId, byte[] result) throws IOException {
    String body = new String(result, StandardCharsets.UTF_8);
    int bytes = result.length;
    if (bytes > maxMessageBytes) {
      throw new PayloadTooLargeException(
          "the result of message "
              + messageId
              + " is "
              + bytes
              + " bytes, more than the results queue takes ("
              + maxMessageBytes
              + "): send fewer inputs per message,"
              + " or write results to S3 (MAAS_RESULTS_URI)");
    }
    SendMessageRequest.Builder req =
        SendMessageRequest.builder().queueUrl(queueUrl).messageBody(body);
    if (fifo) {
      // One group per message: results carry no ordering, and one slow consumer must not block
      // others.
      req.messageDeduplicationId(messageId).messageGroupId(messageId);
    }
    try {
      sqs.sendMessage(req.build());
    } catch (SdkException e) {
      throw new IOException(
          "sending the result of message "
              + messageId
              + " to "
              + queueUrl
              + " failed: "
              + e.getMessage(),
          e);
    }
    sent.add(messageId);
  }

  @Override
  public String toString() {
    return queueUrl;
  }
}
