package io.maaskit.model.pkg;

import io.maaskit.model.error.InvalidRequestException;
import java.util.regex.Pattern;

/** A model's name and version, as stored: {@code <store>/<name>/<version>/}. */
public record ModelId(String name, String version) {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");

  public ModelId {
    checkName(name);
    if (version != null) {
      checkName(version);
    }
  }

  /** Parses {@code name} or {@code name@version}; version null means "latest". */
  public static ModelId parse(String ref) {
    if (ref == null || ref.isBlank()) {
      throw new InvalidRequestException("model name must be a non-empty string");
    }
    int at = ref.indexOf('@');
    return at < 0
        ? new ModelId(ref, null)
        : new ModelId(ref.substring(0, at), ref.substring(at + 1));
  }

  private static void checkName(String s) {
    if (s == null || !NAME.matcher(s).matches()) {
      throw new InvalidRequestException(
          "invalid model name or version '"
              + s
              + "': use lower-case letters, digits, '.', '_' or '-'");
    }
  }

  @Override
  public String toString() {
    return version == null ? name : name + "@" + version;
  }
}
