package io.maaskit.model.pkg;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.ToNumberPolicy;
import com.google.gson.TypeAdapter;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;

/**
 * Reads and writes the JSON files of a package: the manifest, Hugging Face {@code config.json},
 * {@code tokenizer.json}, {@code generation_config.json}, safetensors headers. These are files, not
 * a protocol, and the core reads them with Gson, which DJL already brings, so that no core type
 * names the adapters' JSON library (Jackson binds the HTTP and queue bodies in {@code functions/}).
 *
 * <p>Records map by component name or Gson's {@code @SerializedName}; unknown keys are ignored,
 * nulls are left out when writing, and numbers in untyped maps read as Jackson reads them (a whole
 * number as {@code Integer} where it fits, else {@code Long}; any other as {@code Double}), so that
 * a manifest's metrics compare equal however the package was read.
 */
public final class PackageJson {
  private static final TypeAdapter<Capability> CAPABILITY =
      new TypeAdapter<>() {
        @Override
        public void write(JsonWriter out, Capability c) throws IOException {
          if (c == null) {
            out.nullValue();
          } else {
            out.value(c.key());
          }
        }

        @Override
        public Capability read(JsonReader in) throws IOException {
          return Capability.of(in.nextString());
        }
      };

  /**
   * A JSON null where a record has a primitive reads as that primitive's zero, as a missing key
   * does (Gson's records refuse it; the configs Hugging Face writes do carry such nulls).
   */
  private static <T> TypeAdapter<T> nullAsZero(TypeAdapter<T> plain, T zero) {
    return new TypeAdapter<>() {
      @Override
      public void write(JsonWriter out, T value) throws IOException {
        plain.write(out, value);
      }

      @Override
      public T read(JsonReader in) throws IOException {
        if (in.peek() == JsonToken.NULL) {
          in.nextNull();
          return zero;
        }
        return plain.read(in);
      }
    };
  }

  private static final Gson PLAIN = new Gson();
  private static final Gson COMPACT = builder().create();
  private static final Gson PRETTY = builder().setPrettyPrinting().create();

  private PackageJson() {}

  /**
   * An untyped number: {@code Integer} where a whole number fits, else {@code Long}, else Double.
   */
  private static Number number(com.google.gson.stream.JsonReader in) throws java.io.IOException {
    Number n = ToNumberPolicy.LONG_OR_DOUBLE.readNumber(in);
    return n instanceof Long l && l == l.intValue() ? Integer.valueOf(l.intValue()) : n;
  }

  private static GsonBuilder builder() {
    return new GsonBuilder()
        .disableHtmlEscaping()
        .setObjectToNumberStrategy(PackageJson::number)
        .registerTypeAdapter(Capability.class, CAPABILITY.nullSafe())
        .registerTypeAdapter(int.class, nullAsZero(PLAIN.getAdapter(int.class), 0))
        .registerTypeAdapter(long.class, nullAsZero(PLAIN.getAdapter(long.class), 0L))
        .registerTypeAdapter(double.class, nullAsZero(PLAIN.getAdapter(double.class), 0.0))
        .registerTypeAdapter(float.class, nullAsZero(PLAIN.getAdapter(float.class), 0f))
        .registerTypeAdapter(boolean.class, nullAsZero(PLAIN.getAdapter(boolean.class), false));
  }

  /**
   * Binds a JSON document to a type (a record, a map).
   *
   * @throws IOException the bytes are not JSON, or a value does not fit its field
   */
  public static <T> T read(byte[] json, Type type) throws IOException {
    try {
      T value = COMPACT.fromJson(new String(json, StandardCharsets.UTF_8), type);
      if (value == null) {
        throw new IOException("empty JSON document");
      }
      return value;
    } catch (JsonParseException | IllegalArgumentException | IllegalStateException e) {
      throw new IOException(message(e), e);
    }
  }

  /**
   * Binds a tree (see {@link #tree}) to a type.
   *
   * @throws IOException a value does not fit its field
   */
  public static <T> T read(JsonElement json, Class<T> type) throws IOException {
    try {
      T value = COMPACT.fromJson(json, type);
      if (value == null) {
        throw new IOException("empty JSON document");
      }
      return value;
    } catch (JsonParseException | IllegalArgumentException | IllegalStateException e) {
      throw new IOException(message(e), e);
    }
  }

  /** {@link #read(byte[], Type)} for a class. */
  public static <T> T read(byte[] json, Class<T> type) throws IOException {
    return read(json, (Type) type);
  }

  /**
   * {@link #read(byte[], Type)} for a generic type, e.g. {@code new TypeToken<Map<String,
   * Object>>() {}}.
   */
  public static <T> T read(byte[] json, TypeToken<T> type) throws IOException {
    return read(json, type.getType());
  }

  /**
   * A JSON document as a tree, for files read key by key.
   *
   * @throws IOException the bytes are not one JSON object
   */
  public static JsonObject object(byte[] json) throws IOException {
    JsonElement e = tree(json);
    if (!e.isJsonObject()) {
      throw new IOException("expected a JSON object");
    }
    return e.getAsJsonObject();
  }

  /**
   * A JSON document as a tree of any shape ({@link JsonNull} when empty).
   *
   * @throws IOException the bytes are not JSON
   */
  public static JsonElement tree(byte[] json) throws IOException {
    try {
      return JsonParser.parseString(new String(json, StandardCharsets.UTF_8));
    } catch (JsonParseException ex) {
      throw new IOException(message(ex), ex);
    }
  }

  /** A value as indented UTF-8 JSON (manifests, configs: files people read). */
  public static byte[] pretty(Object value) {
    return PRETTY.toJson(value).getBytes(StandardCharsets.UTF_8);
  }

  /** A value as compact UTF-8 JSON (headers). */
  public static byte[] compact(Object value) {
    return COMPACT.toJson(value).getBytes(StandardCharsets.UTF_8);
  }

  /** A member of an object, or {@link JsonNull} when absent or when {@code e} is no object. */
  public static JsonElement get(JsonElement e, String key) {
    JsonElement v = e != null && e.isJsonObject() ? e.getAsJsonObject().get(key) : null;
    return v == null ? JsonNull.INSTANCE : v;
  }

  /** A string value, or null when {@code e} is not a string. */
  public static String text(JsonElement e) {
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()
        ? e.getAsString()
        : null;
  }

  /** A number, or null when {@code e} is not a number. */
  public static Double number(JsonElement e) {
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()
        ? e.getAsDouble()
        : null;
  }

  /** A whole number that fits an int, or null otherwise. */
  public static Integer integer(JsonElement e) {
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      return null;
    }
    try {
      return e.getAsBigDecimal().intValueExact();
    } catch (ArithmeticException notAnInt) {
      return null;
    }
  }

  /** A boolean, or null when {@code e} is not one. */
  public static Boolean bool(JsonElement e) {
    return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()
        ? e.getAsBoolean()
        : null;
  }

  private static String message(RuntimeException e) {
    Throwable c = e.getCause() != null && e.getMessage() == null ? e.getCause() : e;
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }
}
