package io.maaskit.model.queue;

import java.util.Set;

/**
 * The result of one queue message, as written to the sinks by the adapter's {@link MessageFormat}
 * (the kit's JSON: {@code {"id", "message_id", "task", "model", "status", "duration_ms", <field>:
 * <payload>}}, null envelope fields left out).
 *
 * @param id the client's correlation id from the message's {@code "id"}, or null when it sent none
 * @param messageId the queue's message id: the idempotency key and the result's object name
 * @param task the message's {@code "task"}
 * @param model the model name that served it
 * @param status {@code "ok"}
 * @param resultField name of the field carrying {@code result}, e.g. {@code "embeddings"}
 * @param result the task's payload
 * @param millis time spent running the task (not queueing), in milliseconds
 */
public record QueueResult(
    String id,
    String messageId,
    String task,
    String model,
    String status,
    String resultField,
    Object result,
    long millis) {

  /** Status of a result whose task ran. */
  public static final String OK = "ok";

  /** Field names of the envelope, which a task's payload field may not reuse. */
  public static final Set<String> ENVELOPE =
      Set.of("id", "message_id", "task", "model", "status", "duration_ms");
}
