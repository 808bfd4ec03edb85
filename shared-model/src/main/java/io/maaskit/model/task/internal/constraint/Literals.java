package io.maaskit.model.task.internal.constraint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Compact JSON spellings of names and constant values (Jackson's, UTF-8, no spaces). */
final class Literals {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Literals() {}

  static byte[] jsonString(String s) {
    return json(s);
  }

  static byte[] json(Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + value + " as JSON", e);
    }
  }
}
