package io.maaskit.model.task.internal.constraint;

import io.maaskit.model.task.internal.JsonText;
import java.nio.charset.StandardCharsets;

/** Compact JSON spellings of names and constant values (UTF-8, no spaces). */
final class Literals {
  private Literals() {}

  static byte[] jsonString(String s) {
    return json(s);
  }

  static byte[] json(Object value) {
    return JsonText.write(value).getBytes(StandardCharsets.UTF_8);
  }
}
