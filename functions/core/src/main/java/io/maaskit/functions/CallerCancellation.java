package io.maaskit.functions;

import io.maaskit.model.task.Cancellation;

/**
 * Tells a function whether the caller of the request it is serving still wants the answer. The HTTP
 * glue provides one that watches the client's connection (and, on API Gateway, the Lambda's
 * remaining time); deployables without one (the SQS Lambda) get {@link Cancellation#NONE}.
 */
public interface CallerCancellation {
  /** The cancellation of the request this thread is serving. */
  Cancellation current();
}
