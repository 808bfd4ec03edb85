package io.maaskit.training;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;

/**
 * Field reading for the training request's JSON (the queue's {@code train} task), with the messages
 * the adapters' bindings give for the same mistakes. The training module sits beside the core and
 * is not an adapter, so it keeps its own few readers.
 */
final class TrainingJson {
  private TrainingJson() {}

  /** The body must be a JSON object. */
  static JsonNode object(JsonNode body) {
    if (body == null || body.isNull() || body.isMissingNode()) {
      throw new InvalidRequestException("request body is empty: send a JSON object");
    }
    if (!body.isObject()) {
      throw new InvalidRequestException("request body must be a JSON object, got " + kind(body));
    }
    return body;
  }

  /** An optional string field. */
  static String string(JsonNode body, String field, String dflt) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isTextual()) {
      throw new InvalidRequestException("'" + field + "' must be a string, got " + kind(n));
    }
    return n.textValue();
  }

  /** A JSON type name for messages. */
  static String kind(JsonNode n) {
    return switch (n.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      default -> "null";
    };
  }
}
