package io.maaskit.model.queue;

/**
 * What a {@link TaskHandler} produced for one message: the model that served it and the payload,
 * stored in the result JSON under {@code field} (for example {@code "embeddings"}).
 *
 * @param model the model name the message asked for, or the service's default
 * @param field the result JSON field that carries {@code value}; not one of the envelope's fields
 * @param value anything Jackson serializes: arrays, lists, records
 * @param status {@code ok}, or {@code refused} for a well-formed message the task declined (the
 *     result says why; the message is done and not retried)
 */
public record TaskOutput(String model, String field, Object value, String status) {
  public TaskOutput {
    if (field == null || field.isBlank() || QueueResult.ENVELOPE.contains(field)) {
      throw new IllegalArgumentException(
          "result field must be a name other than "
              + QueueResult.ENVELOPE
              + ", got '"
              + field
              + "'");
    }
    status = status == null ? QueueResult.OK : status;
  }

  /** A successful output. */
  public TaskOutput(String model, String field, Object value) {
    this(model, field, value, QueueResult.OK);
  }
}
