/**
 * Asynchronous inference over a message queue: one message in, one result out, written to S3 and/or
 * sent to a results queue. {@link io.maaskit.model.queue.QueueMessageHandler} reads (through the
 * adapter's {@link io.maaskit.model.queue.MessageFormat}: the kit's JSON is bound in {@code
 * functions/}) and runs one message and is idempotent by the queue's message id, so a redelivered
 * message never produces a second result; adapters (the SQS Lambda binding) call it per record, and
 * {@link io.maaskit.model.queue.QueueWorker} polls a queue with it for containers and local use.
 *
 * <p>Delivery is at least once (SQS's own guarantee); results are exactly one per message id in S3.
 * A message that fails is left on the queue, redelivered after its visibility timeout, and moved to
 * the dead-letter queue by the queue's redrive policy after {@code maxReceiveCount} receives. The
 * message and result formats are described in {@code docs/queue.md}.
 */
package io.maaskit.model.queue;
