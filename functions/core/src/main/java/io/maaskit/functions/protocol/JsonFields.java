package io.maaskit.functions.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading fields of JSON objects with messages that name the field and say what was wrong: used by
 * the kit's own JSON formats (queue messages, training requests) and by the adapters' protocol
 * bindings, so each bad input gets the same message whichever way it arrived.
 */
public final class JsonFields {
  private JsonFields() {}

  /** The body must be a JSON object. */
  public static JsonNode object(JsonNode body) {
    if (body == null || body.isNull() || body.isMissingNode()) {
      throw new InvalidRequestException("request body is empty: send a JSON object");
    }
    if (!body.isObject()) {
      throw new InvalidRequestException("request body must be a JSON object, got " + kind(body));
    }
    return body;
  }

  /**
   * Reads a string-or-array-of-strings field.
   *
   * @param max most items allowed
   */
  public static List<String> texts(JsonNode body, String field, int max) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      throw new InvalidRequestException(
          "'" + field + "' is required: a string or a non-empty array of strings");
    }
    if (n.isTextual()) {
      if (n.textValue().isEmpty()) {
        throw new InvalidRequestException("'" + field + "' must not be an empty string");
      }
      return List.of(n.textValue());
    }
    if (!n.isArray()) {
      throw new InvalidRequestException(
          "'" + field + "' must be a string or an array of strings, got " + kind(n));
    }
    if (n.isEmpty()) {
      throw new InvalidRequestException("'" + field + "' must not be an empty array");
    }
    if (n.size() > max) {
      throw new InvalidRequestException(
          "'"
              + field
              + "' has "
              + n.size()
              + " items; at most "
              + max
              + " are allowed per request");
    }
    List<String> out = new ArrayList<>(n.size());
    for (int i = 0; i < n.size(); i++) {
      JsonNode item = n.get(i);
      if (!item.isTextual()) {
        throw new InvalidRequestException(
            "'"
                + field
                + "["
                + i
                + "]' must be a string, got "
                + kind(item)
                + (item.isArray() || item.isNumber()
                    ? " (token-id inputs are not supported; send text)"
                    : ""));
      }
      if (item.textValue().isEmpty()) {
        throw new InvalidRequestException("'" + field + "[" + i + "]' is an empty string");
      }
      out.add(item.textValue());
    }
    return out;
  }

  /** An optional boolean field. */
  public static boolean bool(JsonNode body, String field, boolean dflt) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isBoolean()) {
      throw new InvalidRequestException("'" + field + "' must be true or false, got " + kind(n));
    }
    return n.booleanValue();
  }

  /** An optional string field. */
  public static String string(JsonNode body, String field, String dflt) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isTextual()) {
      throw new InvalidRequestException("'" + field + "' must be a string, got " + kind(n));
    }
    return n.textValue();
  }

  /** An optional integer field; null when absent. */
  public static Integer integer(JsonNode body, String field, Integer dflt) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new InvalidRequestException("'" + field + "' must be an integer, got " + kind(n));
    }
    return n.intValue();
  }

  /** A JSON type name for messages. */
  public static String kind(JsonNode n) {
    if (n.isTextual()) {
      return "a string";
    } else if (n.isNumber()) {
      return "a number";
    } else if (n.isBoolean()) {
      return "a boolean";
    } else if (n.isArray()) {
      return "an array";
    } else if (n.isObject()) {
      return "an object";
    }
    return "null";
  }
}
