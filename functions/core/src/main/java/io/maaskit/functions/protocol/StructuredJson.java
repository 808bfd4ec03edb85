package io.maaskit.functions.protocol;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.ResponseFormat;
import io.maaskit.model.task.Tool;
import io.maaskit.model.task.ToolCall;
import io.maaskit.model.task.ToolChoice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the OpenAI fields that shape an output: {@code response_format}, {@code tools}, {@code
 * tool_choice}, and the {@code tool_calls} / {@code tool_call_id} of messages sent back. Kept apart
 * from {@link GenerateJson} so the binding of the rest of a body can move without it.
 */
public final class StructuredJson {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private StructuredJson() {}

  /** {@code response_format}: text (default), {@code json_object}, or {@code json_schema}. */
  public static ResponseFormat responseFormat(JsonNode body) {
    JsonNode f = body.get("response_format");
    if (f == null || f.isNull()) {
      return ResponseFormat.TEXT;
    }
    if (!f.isObject() || !f.path("type").isTextual()) {
      throw new InvalidRequestException(
          "'response_format' must be an object with a \"type\" (text, json_object, json_schema)");
    }
    String type = f.get("type").textValue();
    return switch (type) {
      case "text" -> ResponseFormat.TEXT;
      case "json_object" -> ResponseFormat.JSON_OBJECT;
      case "json_schema" -> {
        JsonNode js = f.get("json_schema");
        if (js == null || !js.isObject()) {
          throw new InvalidRequestException(
              "'response_format.json_schema' is required: {\"name\", \"schema\", \"strict\"}");
        }
        JsonNode schema = js.get("schema");
        if (schema == null || !schema.isObject()) {
          throw new InvalidRequestException(
              "'response_format.json_schema.schema' must be a JSON Schema object, got "
                  + (schema == null ? "nothing" : JsonFields.kind(schema)));
        }
        JsonNode name = js.get("name");
        if (name != null && !name.isNull() && !name.isTextual()) {
          throw new InvalidRequestException("'response_format.json_schema.name' must be a string");
        }
        yield new ResponseFormat(
            ResponseFormat.Type.JSON_SCHEMA,
            name == null || name.isNull() ? null : name.textValue(),
            map(schema),
            js.path("strict").asBoolean(false));
      }
      default ->
          throw new InvalidRequestException(
              "'response_format.type' must be text, json_object or json_schema, not '"
                  + type
                  + "'");
    };
  }

  /** {@code tools}: function definitions. */
  public static List<Tool> tools(JsonNode body) {
    JsonNode t = body.get("tools");
    if (t == null || t.isNull()) {
      return List.of();
    }
    if (!t.isArray()) {
      throw new InvalidRequestException("'tools' must be an array, got " + JsonFields.kind(t));
    }
    List<Tool> out = new ArrayList<>();
    for (int i = 0; i < t.size(); i++) {
      JsonNode one = t.get(i);
      String at = "tools[" + i + "]";
      if (!one.isObject() || !"function".equals(one.path("type").asText("function"))) {
        throw new InvalidRequestException(
            "'" + at + "' must be {\"type\": \"function\", \"function\": {...}}");
      }
      JsonNode fn = one.get("function");
      if (fn == null || !fn.isObject() || !fn.path("name").isTextual()) {
        throw new InvalidRequestException("'" + at + ".function.name' is required: a string");
      }
      JsonNode params = fn.get("parameters");
      if (params != null && !params.isNull() && !params.isObject()) {
        throw new InvalidRequestException(
            "'" + at + ".function.parameters' must be a JSON Schema object");
      }
      out.add(
          new Tool(
              fn.get("name").textValue(),
              fn.path("description").isTextual() ? fn.get("description").textValue() : null,
              params == null || params.isNull() ? null : map(params)));
    }
    return out;
  }

  /**
   * {@code tool_choice}: "none", "auto", "required" or {"type": "function", ...}; null if absent.
   */
  public static ToolChoice toolChoice(JsonNode body) {
    JsonNode c = body.get("tool_choice");
    if (c == null || c.isNull()) {
      return null;
    }
    if (c.isTextual()) {
      return switch (c.textValue()) {
        case "none" -> ToolChoice.NONE;
        case "auto" -> ToolChoice.AUTO;
        case "required" -> ToolChoice.REQUIRED;
        default ->
            throw new InvalidRequestException(
                "'tool_choice' must be none, auto, required or a named function, not '"
                    + c.textValue()
                    + "'");
      };
    }
    if (c.isObject() && c.path("function").path("name").isTextual()) {
      return ToolChoice.function(c.get("function").get("name").textValue());
    }
    throw new InvalidRequestException(
        "'tool_choice' must be a string or {\"type\": \"function\", \"function\": {\"name\"}}");
  }

  /** An assistant message's {@code tool_calls}, or null. */
  public static List<ToolCall> toolCalls(JsonNode message, String at) {
    JsonNode calls = message.get("tool_calls");
    if (calls == null || calls.isNull()) {
      return null;
    }
    if (!calls.isArray()) {
      throw new InvalidRequestException("'" + at + ".tool_calls' must be an array");
    }
    List<ToolCall> out = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      JsonNode c = calls.get(i);
      JsonNode fn = c.path("function");
      if (!fn.path("name").isTextual()) {
        throw new InvalidRequestException(
            "'" + at + ".tool_calls[" + i + "].function.name' is required: a string");
      }
      JsonNode args = fn.get("arguments");
      String arguments =
          args == null || args.isNull()
              ? "{}"
              : args.isTextual() ? args.textValue() : args.toString();
      out.add(
          new ToolCall(
              c.path("id").isTextual() ? c.get("id").textValue() : null,
              fn.get("name").textValue(),
              arguments));
    }
    return out;
  }

  /** A tool message's {@code tool_call_id}, or null. */
  public static String toolCallId(JsonNode message) {
    JsonNode id = message.get("tool_call_id");
    return id != null && id.isTextual() ? id.textValue() : null;
  }

  private static Map<String, Object> map(JsonNode n) {
    return JSON.convertValue(n, MAP);
  }

  /** Tool calls as plain maps for results: {@code [{"id", "type", "function": {...}}]}. */
  public static List<Map<String, Object>> toolCallMaps(List<ToolCall> calls) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ToolCall c : calls) {
      Map<String, Object> fn = new java.util.LinkedHashMap<>();
      fn.put("name", c.name());
      fn.put("arguments", c.arguments());
      Map<String, Object> one = new java.util.LinkedHashMap<>();
      one.put("id", c.id());
      one.put("type", "function");
      one.put("function", fn);
      out.add(one);
    }
    return out;
  }
}
