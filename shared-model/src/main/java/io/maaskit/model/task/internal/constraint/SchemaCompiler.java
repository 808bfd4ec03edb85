package io.maaskit.model.task.internal.constraint;

import io.maaskit.model.error.InvalidRequestException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles the JSON Schema subset of OpenAI's strict structured outputs into {@link Grammar} nodes:
 * {@code type} (string, number, integer, boolean, null, object, array, or a list of them), {@code
 * properties}, {@code required}, {@code additionalProperties: false}, {@code items}, {@code enum},
 * {@code const}, {@code anyOf}, {@code $defs}/{@code definitions} with local {@code $ref}s
 * (recursion included), and the annotations ({@code description}, {@code title}, ...). Any other
 * keyword, or a malformed schema, is an {@link InvalidRequestException} naming it and where it is.
 * Properties are generated in their declared order.
 */
final class SchemaCompiler {
  private static final Set<String> ANNOTATIONS =
      Set.of("description", "title", "$schema", "$id", "$comment", "examples", "default");
  private static final Set<String> KEYWORDS =
      Set.of(
          "type",
          "properties",
          "required",
          "additionalProperties",
          "items",
          "enum",
          "const",
          "anyOf",
          "$defs",
          "definitions",
          "$ref");

  private final Object root;
  private final String what;
  private final Grammar.Nodes nodes;
  private final Map<String, Grammar.Ref> refs = new HashMap<>();
  private final List<Grammar.Ref> pending = new ArrayList<>();

  /**
   * @param what names the schema in messages ({@code response_format.json_schema.schema})
   */
  SchemaCompiler(Object root, String what, Grammar.Nodes nodes) {
    this.root = root;
    this.what = what;
    this.nodes = nodes;
  }

  /** Compiles the root schema; resolves every {@code $ref}. */
  Grammar.Node compile() {
    Grammar.Node n = node(root, "#");
    while (!pending.isEmpty()) {
      Grammar.Ref r = pending.remove(pending.size() - 1);
      r.target = node(resolve(r.ref), r.ref);
    }
    return n;
  }

  private InvalidRequestException bad(String at, String message) {
    return new InvalidRequestException("'" + what + "' at " + at + ": " + message);
  }

  private Grammar.Node node(Object schema, String at) {
    if (!(schema instanceof Map<?, ?> m)) {
      throw bad(
          at,
          "a schema must be an object, got "
              + (schema == null
                  ? "null"
                  : schema instanceof Boolean ? "a boolean" : "a " + kind(schema)));
    }
    for (Object k : m.keySet()) {
      if (!KEYWORDS.contains(k) && !ANNOTATIONS.contains(k)) {
        throw bad(
            at,
            "unsupported JSON Schema keyword '"
                + k
                + "' (supported: "
                + String.join(", ", new java.util.TreeSet<>(KEYWORDS))
                + ", and annotations)");
      }
    }
    if (m.containsKey("$ref")) {
      if (m.size() > 1 && !onlyAnnotationsBesides(m, "$ref")) {
        throw bad(at, "'$ref' must stand alone (besides annotations)");
      }
      Object ref = m.get("$ref");
      if (!(ref instanceof String s)) {
        throw bad(at, "'$ref' must be a string");
      }
      return refs.computeIfAbsent(
          s,
          k -> {
            Grammar.Ref r = nodes.add(new Grammar.Ref(k));
            pending.add(r);
            return r;
          });
    }
    for (String defs : List.of("$defs", "definitions")) {
      if (m.containsKey(defs) && !(m.get(defs) instanceof Map)) {
        throw bad(at, "'" + defs + "' must be an object of schemas");
      }
    }
    if (m.containsKey("const")) {
      return nodes.add(new Grammar.Lit(List.of(Literals.json(m.get("const")))));
    }
    if (m.containsKey("enum")) {
      if (!(m.get("enum") instanceof List<?> values) || values.isEmpty()) {
        throw bad(at, "'enum' must be a non-empty array");
      }
      Set<String> seen = new LinkedHashSet<>();
      List<byte[]> options = new ArrayList<>();
      for (Object v : values) {
        byte[] b = Literals.json(v);
        if (seen.add(new String(b, java.nio.charset.StandardCharsets.UTF_8))) {
          options.add(b);
        }
      }
      return nodes.add(new Grammar.Lit(options));
    }
    if (m.containsKey("anyOf")) {
      if (!(m.get("anyOf") instanceof List<?> list) || list.isEmpty()) {
        throw bad(at, "'anyOf' must be a non-empty array of schemas");
      }
      if (m.containsKey("type")) {
        throw bad(at, "'anyOf' and 'type' together are not supported: put the type in each option");
      }
      List<Grammar.Node> options = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        options.add(node(list.get(i), at + "/anyOf/" + i));
      }
      return nodes.add(new Grammar.AnyOf(options));
    }
    Object type = m.get("type");
    if (type == null) {
      throw bad(at, "a schema needs 'type', 'enum', 'const', 'anyOf' or '$ref'");
    }
    if (type instanceof List<?> types) {
      if (types.isEmpty()) {
        throw bad(at, "'type' must not be an empty array");
      }
      List<Grammar.Node> options = new ArrayList<>();
      for (Object t : types) {
        options.add(typed(m, t, types, at));
      }
      return options.size() == 1 ? options.get(0) : nodes.add(new Grammar.AnyOf(options));
    }
    return typed(m, type, List.of(type), at);
  }

  private static boolean onlyAnnotationsBesides(Map<?, ?> m, String key) {
    for (Object k : m.keySet()) {
      if (!k.equals(key)
          && !ANNOTATIONS.contains(k)
          && !k.equals("$defs")
          && !k.equals("definitions")) {
        return false;
      }
    }
    return true;
  }

  private Grammar.Node typed(Map<?, ?> m, Object type, List<?> types, String at) {
    if (!(type instanceof String t)) {
      throw bad(at, "'type' must be a string or an array of strings");
    }
    if (!types.contains("object")) {
      for (String k : List.of("properties", "required", "additionalProperties")) {
        if (m.containsKey(k)) {
          throw bad(at, "'" + k + "' needs \"type\": \"object\"");
        }
      }
    }
    if (!types.contains("array") && m.containsKey("items")) {
      throw bad(at, "'items' needs \"type\": \"array\"");
    }
    return switch (t) {
      case "string" -> nodes.add(new Grammar.Str());
      case "number" -> nodes.add(new Grammar.Num(false));
      case "integer" -> nodes.add(new Grammar.Num(true));
      case "boolean" ->
          nodes.add(new Grammar.Lit(List.of(Literals.json(true), Literals.json(false))));
      case "null" -> nodes.add(new Grammar.Lit(List.of(Literals.json(null))));
      case "array" -> {
        Object items = m.get("items");
        yield nodes.add(new Grammar.Arr(items == null ? any(nodes) : node(items, at + "/items")));
      }
      case "object" -> object(m, at);
      default ->
          throw bad(
              at,
              "unknown type '"
                  + t
                  + "' (one of string, number, integer, boolean, null, object, array)");
    };
  }

  private Grammar.Node object(Map<?, ?> m, String at) {
    Object additional = m.get("additionalProperties");
    if (additional != null && !Boolean.FALSE.equals(additional)) {
      throw bad(
          at,
          "unsupported 'additionalProperties' other than false: declare every property in"
              + " 'properties'");
    }
    Object props = m.get("properties");
    if (props != null && !(props instanceof Map)) {
      throw bad(at, "'properties' must be an object of schemas");
    }
    Set<String> required = new LinkedHashSet<>();
    Object req = m.get("required");
    if (req != null) {
      if (!(req instanceof List<?> list)) {
        throw bad(at, "'required' must be an array of property names");
      }
      for (Object r : list) {
        if (!(r instanceof String s)) {
          throw bad(at, "'required' must hold strings");
        }
        if (props == null || !((Map<?, ?>) props).containsKey(s)) {
          throw bad(at, "'required' names '" + s + "', which is not in 'properties'");
        }
        required.add(s);
      }
    }
    if (props == null) {
      return additional == null ? anyObject(nodes) : nodes.add(new Grammar.Obj(List.of(), false));
    }
    List<Grammar.Prop> list = new ArrayList<>();
    for (Map.Entry<?, ?> e : ((Map<?, ?>) props).entrySet()) {
      String name = String.valueOf(e.getKey());
      list.add(
          new Grammar.Prop(
              name, node(e.getValue(), at + "/properties/" + name), required.contains(name)));
    }
    return nodes.add(new Grammar.Obj(List.copyOf(list), false));
  }

  private Object resolve(String ref) {
    if (ref.equals("#")) {
      return root;
    }
    if (!ref.startsWith("#/")) {
      throw bad(ref, "only local '$ref's (\"#/$defs/Name\") are supported");
    }
    Object at = root;
    for (String part : ref.substring(2).split("/", -1)) {
      String key = part.replace("~1", "/").replace("~0", "~");
      if (!(at instanceof Map<?, ?> m) || !m.containsKey(key)) {
        throw bad(ref, "'$ref' points at nothing");
      }
      at = m.get(key);
    }
    return at;
  }

  private static String kind(Object o) {
    return o instanceof String
        ? "string"
        : o instanceof Number
            ? "number"
            : o instanceof List ? "array" : o.getClass().getSimpleName();
  }

  /** Any JSON value. */
  static Grammar.Node any(Grammar.Nodes nodes) {
    Grammar.Obj obj = nodes.add(new Grammar.Obj(List.of(), true));
    Grammar.Arr arr = nodes.add(new Grammar.Arr(null));
    Grammar.AnyOf value =
        nodes.add(
            new Grammar.AnyOf(
                List.of(
                    obj,
                    arr,
                    nodes.add(new Grammar.Str()),
                    nodes.add(new Grammar.Num(false)),
                    nodes.add(
                        new Grammar.Lit(
                            List.of(
                                Literals.json(true),
                                Literals.json(false),
                                Literals.json(null)))))));
    obj.anyValue = value;
    arr.items = value;
    return value;
  }

  /** Any JSON object. */
  static Grammar.Obj anyObject(Grammar.Nodes nodes) {
    Grammar.AnyOf value = (Grammar.AnyOf) any(nodes);
    return (Grammar.Obj) value.options.get(0);
  }
}
