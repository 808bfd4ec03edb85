package io.maaskit.model.queue;

/**
 * What a {@link TaskHandler} produced for one message: the model that served it and the payload,
 * stored in the result JSON under {@code field} (for example {@code "embeddings"}).
 *
 * @param model the model name the message asked for, or the service's default
 * @param field the result JSON field that carries {@code value}; not one of the envelope's fields
 * @param value anything Jackson serializes: arrays, lists, records
 */
public record TaskOutput(String model, String field, Object value) {
  public TaskOutput {
    if (field == null || field.isBlank() || QueueResult.ENVELOPE.contains(field)) {
      throw new IllegalArgumentException("result field must be a name other than " + QueueResult.ENVELOPE + ", got '" + field + "'");
    }
  }
}
