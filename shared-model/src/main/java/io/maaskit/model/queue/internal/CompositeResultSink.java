package io.maaskit.model.queue.internal;

import io.maaskit.model.queue.ResultSink;
import java.io.IOException;
import java.util.List;

/**
 * Writes each result to several sinks (for example S3 for storage and a queue for notification). A
 * message counts as done only when every sink has its result; on redelivery only the sinks that
 * lack it are written, so a results queue that failed once gets its message without a second S3
 * object.
 *
 * <pre>{@code
 * ResultSink sink = new CompositeResultSink(List.of(new S3ResultSink(s3, loc), new SqsResultSink(sqs, url)));
 * }</pre>
 */
public final class CompositeResultSink implements ResultSink {
  private final List<ResultSink> sinks;

  /** Sinks in write order; at least one. */
  public CompositeResultSink(List<ResultSink> sinks) {
    if (sinks.isEmpty()) {
      throw new IllegalArgumentException("a composite sink needs at least one sink");
    }
    this.sinks = List.copyOf(sinks);
  }

  @Override
  public boolean has(String messageId) throws IOException {
    for (ResultSink s : sinks) {
      if (!s.has(messageId)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void write(String messageId, byte[] result) throws IOException {
    for (ResultSink s : sinks) {
      if (!s.has(messageId)) {
        s.write(messageId, result);
      }
    }
  }

  @Override
  public String toString() {
    return sinks.toString();
  }
}
