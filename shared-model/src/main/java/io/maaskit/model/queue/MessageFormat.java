package io.maaskit.model.queue;

/**
 * How a queue's message bodies are read and its results written: the protocol binding, which the
 * adapter supplies (the kit's JSON messages are bound in {@code functions/}), so the queue's
 * semantics here (idempotency, dispatch by task, error results, deadlines) know no wire format.
 *
 * @param <M> the form a message's body takes for its task handler (a JSON tree, a record)
 */
public interface MessageFormat<M> {
  /**
   * One message, read.
   *
   * @param id the client's correlation id, or null when it sent none
   * @param task the task it names, or null when it names none
   * @param body the whole message, for the task's handler
   */
  record Message<M>(String id, String task, M body) {}

  /**
   * Reads one message body.
   *
   * @throws io.maaskit.model.error.InvalidRequestException the body is not a message; the
   *     exception's message says what to fix
   */
  Message<M> read(String body);

  /** The bytes of one result, which every sink writes. */
  byte[] write(QueueResult result);
}
