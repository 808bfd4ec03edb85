package io.maaskit.model.queue;

import io.maaskit.model.queue.internal.CompositeResultSink;
import io.maaskit.model.queue.internal.S3ResultSink;
import io.maaskit.model.queue.internal.SqsResultSink;
import io.maaskit.model.store.internal.S3Location;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Where queue results go, keyed by the queue's message id. {@link #has} lets {@link
 * QueueMessageHandler} skip a message whose result already exists, which is what makes redelivery
 * harmless; implementations must be thread-safe.
 *
 * <pre>{@code
 * ResultSink sink = ResultSink.of(QueueSettings.of(queueUrl, "s3://bucket/results", null), s3Client, sqsClient);
 * }</pre>
 */
public interface ResultSink {
  /** Whether a result for this message id was already written. */
  boolean has(String messageId) throws IOException;

  /**
   * Writes (or sends) one result; on return it is durable at the destination.
   *
   * @param messageId the queue's message id, the key {@link #has} looks up
   * @param result the result's bytes (the adapter's {@link MessageFormat#write})
   */
  void write(String messageId, byte[] result) throws IOException;

  /**
   * The sinks the settings name: an {@link S3ResultSink} for {@link QueueSettings#resultsUri()}, an
   * {@link SqsResultSink} for {@link QueueSettings#resultsQueueUrl()}, both in a {@link
   * CompositeResultSink} when both are set.
   *
   * @param s3 client for the S3 sink; may be null when no results URI is set
   * @param sqs client for the results queue; may be null when no results queue is set
   */
  static ResultSink of(QueueSettings settings, S3Client s3, SqsClient sqs) {
    List<ResultSink> sinks = new ArrayList<>(2);
    if (settings.resultsUri() != null) {
      if (s3 == null) {
        throw new IllegalArgumentException(
            "results go to " + settings.resultsUri() + " but no S3 client was given");
      }
      sinks.add(new S3ResultSink(s3, S3Location.parse(settings.resultsUri())));
    }
    if (settings.resultsQueueUrl() != null) {
      if (sqs == null) {
        throw new IllegalArgumentException(
            "results go to " + settings.resultsQueueUrl() + " but no SQS client was given");
      }
      sinks.add(new SqsResultSink(sqs, settings.resultsQueueUrl()));
    }
    return sinks.size() == 1 ? sinks.get(0) : new CompositeResultSink(sinks);
  }
}
