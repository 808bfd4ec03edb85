package io.maaskit.functions.queue;

import com.amazonaws.services.lambda.runtime.events.SQSEvent.SQSMessage;
import io.maaskit.functions.QueueServices;
import io.quarkus.funqy.Funq;
import jakarta.inject.Inject;

/**
 * The SQS-triggered function. Funqy's advanced event handling calls it once per record of the batch
 * and reports the records that threw as {@code batchItemFailures}, so only those are retried (and
 * reach the DLQ after {@code maxReceiveCount}). A record that cannot succeed on a retry (a 4xx, a
 * 501) gets an error result in the sink and is done; a record whose work would outlast the
 * invocation ({@link SqsHandler#deadline()}) stops, writes nothing and is retried.
 */
public class SqsFunction {
  @Inject QueueServices queues;

  /** One message = one inference request; its result goes to the configured sink. */
  @Funq("queue")
  public void queue(SQSMessage message) {
    queues.handler().handle(message.getMessageId(), message.getBody(), SqsHandler.deadline());
  }
}
