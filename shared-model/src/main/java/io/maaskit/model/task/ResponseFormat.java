package io.maaskit.model.task;

import java.util.Map;

/**
 * What shape the output must have ({@code response_format}). With {@link Type#JSON_OBJECT} or
 * {@link Type#JSON_SCHEMA} decoding is constrained token by token, so every choice that ends with
 * {@code stop} parses as JSON and, for a schema, validates against it; a choice cut by {@code
 * max_tokens} ends with {@code length} (the tokens left are used to close the JSON whenever they
 * can).
 *
 * @param type the kind of output
 * @param name the schema's name ({@code json_schema.name}), or null
 * @param schema the JSON Schema as plain maps and lists (the subset OpenAI's strict mode has), or
 *     null unless {@code type} is {@link Type#JSON_SCHEMA}
 * @param strict {@code json_schema.strict} (the schema is always enforced here)
 */
public record ResponseFormat(Type type, String name, Map<String, Object> schema, boolean strict) {
  /** The kinds of output. */
  public enum Type {
    /** Free text. */
    TEXT,
    /** Any JSON object. */
    JSON_OBJECT,
    /** A JSON value valid against a schema. */
    JSON_SCHEMA
  }

  /** Free text, the default. */
  public static final ResponseFormat TEXT = new ResponseFormat(Type.TEXT, null, null, false);

  /** Any JSON object. */
  public static final ResponseFormat JSON_OBJECT =
      new ResponseFormat(Type.JSON_OBJECT, null, null, false);

  /** A JSON value valid against {@code schema}. */
  public static ResponseFormat jsonSchema(String name, Map<String, Object> schema) {
    return new ResponseFormat(Type.JSON_SCHEMA, name, schema, true);
  }
}
