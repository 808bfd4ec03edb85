package io.maaskit.functions.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.ChatMessage;
import io.maaskit.model.task.GenerateRequest;
import io.maaskit.model.task.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads OpenAI-shaped generation bodies ({@code POST /v1/completions}, {@code POST
 * /v1/chat/completions}) into a {@link GenerateRequest}: used by the HTTP adapters and by the queue
 * task {@code generate}, so a bad field gets the same 400 whichever way it arrived. Fields OpenAI
 * clients send that do not change the result here ({@code user}, {@code store}, ...) are ignored.
 */
public final class GenerateJson {
  private GenerateJson() {}

  /**
   * A bound request and how the caller wants it delivered.
   *
   * @param request the core request
   * @param stream send server-sent events
   * @param includeUsage a last chunk with token usage ({@code stream_options.include_usage})
   * @param chat a chat completion (else a completion)
   */
  public record Call(GenerateRequest request, boolean stream, boolean includeUsage, boolean chat) {}

  /** A {@code /v1/completions} body: {@code prompt} plus sampling fields. */
  public static Call completion(JsonNode body) {
    JsonFields.object(body);
    JsonNode p = body.get("prompt");
    String prompt;
    if (p == null || p.isNull()) {
      throw new InvalidRequestException("'prompt' is required: the text to continue");
    } else if (p.isTextual()) {
      prompt = p.textValue();
    } else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
      prompt = p.get(0).textValue();
    } else if (p.isArray()) {
      throw new InvalidRequestException(
          "'prompt' must be one string (send one request per prompt; token-id prompts are not"
              + " supported), got an array of "
              + p.size());
    } else {
      throw new InvalidRequestException("'prompt' must be a string, got " + JsonFields.kind(p));
    }
    JsonNode lp = body.get("logprobs");
    Integer top = null;
    if (lp != null && !lp.isNull()) {
      if (!lp.isIntegralNumber() || !lp.canConvertToInt()) {
        throw new InvalidRequestException(
            "'logprobs' must be an integer (alternatives per token), got " + JsonFields.kind(lp));
      }
      top = lp.intValue();
    }
    String model = JsonFields.string(body, "model", null);
    SamplingParams s = sampling(body, JsonFields.integer(body, "max_tokens", null), top);
    return new Call(
        GenerateRequest.completion(model, prompt, s)
            .withResponseFormat(StructuredJson.responseFormat(body)),
        stream(body),
        includeUsage(body),
        false);
  }

  /** A {@code /v1/chat/completions} body: {@code messages} plus sampling fields. */
  public static Call chat(JsonNode body) {
    JsonFields.object(body);
    List<ChatMessage> messages = messages(body);
    Integer top = null;
    if (JsonFields.bool(body, "logprobs", false)) {
      top = JsonFields.integer(body, "top_logprobs", 0);
    } else if (body.hasNonNull("top_logprobs")) {
      throw new InvalidRequestException("'top_logprobs' needs \"logprobs\": true");
    }
    Integer max = JsonFields.integer(body, "max_completion_tokens", null);
    if (max == null) {
      max = JsonFields.integer(body, "max_tokens", null);
    }
    String model = JsonFields.string(body, "model", null);
    return new Call(
        GenerateRequest.chat(model, messages, sampling(body, max, top))
            .withResponseFormat(StructuredJson.responseFormat(body))
            .withTools(StructuredJson.tools(body), StructuredJson.toolChoice(body)),
        stream(body),
        includeUsage(body),
        true);
  }

  /**
   * The {@code messages} array of a body: {@code [{"role", "content"}, ...]}, at least one.
   *
   * @throws InvalidRequestException if it is missing, not an array, empty or has a malformed
   *     message
   */
  public static List<ChatMessage> messages(JsonNode body) {
    JsonNode m = body.get("messages");
    if (m == null || m.isNull()) {
      throw new InvalidRequestException(
          "'messages' is required: an array of {\"role\", \"content\"} objects");
    }
    if (!m.isArray()) {
      throw new InvalidRequestException("'messages' must be an array, got " + JsonFields.kind(m));
    }
    if (m.isEmpty()) {
      throw new InvalidRequestException("'messages' must not be empty");
    }
    List<ChatMessage> messages = new ArrayList<>(m.size());
    for (int i = 0; i < m.size(); i++) {
      messages.add(message(m.get(i), i));
    }
    return messages;
  }

  private static ChatMessage message(JsonNode n, int i) {
    String at = "messages[" + i + "]";
    if (n == null || !n.isObject()) {
      throw new InvalidRequestException(
          "'" + at + "' must be an object with \"role\" and \"content\"");
    }
    JsonNode role = n.get("role");
    if (role == null || !role.isTextual()) {
      throw new InvalidRequestException("'" + at + ".role' is required: a string");
    }
    if (!ChatMessage.ROLES.contains(role.textValue())) {
      throw new InvalidRequestException(
          "'"
              + at
              + ".role' must be one of "
              + new java.util.TreeSet<>(ChatMessage.ROLES)
              + ", not '"
              + role.textValue()
              + "'");
    }
    JsonNode c = n.get("content");
    String content;
    if (c == null || c.isNull()) {
      content = "";
    } else if (c.isTextual()) {
      content = c.textValue();
    } else if (c.isArray()) {
      StringBuilder b = new StringBuilder();
      for (int j = 0; j < c.size(); j++) {
        JsonNode part = c.get(j);
        if (!part.isObject()
            || !"text".equals(part.path("type").asText())
            || !part.path("text").isTextual()) {
          throw new InvalidRequestException(
              "'"
                  + at
                  + ".content["
                  + j
                  + "]' must be {\"type\": \"text\", \"text\": \"...\"}: only text is supported");
        }
        b.append(part.get("text").textValue());
      }
      content = b.toString();
    } else {
      throw new InvalidRequestException(
          "'" + at + ".content' must be a string or an array of text parts");
    }
    return new ChatMessage(
        role.textValue(), content, StructuredJson.toolCalls(n, at), StructuredJson.toolCallId(n));
  }

  private static SamplingParams sampling(JsonNode body, Integer maxTokens, Integer top) {
    return new SamplingParams(
        maxTokens,
        number(body, "temperature"),
        number(body, "top_p"),
        JsonFields.integer(body, "top_k", null),
        seed(body),
        number(body, "repetition_penalty"),
        number(body, "presence_penalty"),
        number(body, "frequency_penalty"),
        stop(body),
        ids(body, "stop_token_ids"),
        JsonFields.integer(body, "n", null),
        top);
  }

  private static Double number(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isNumber()) {
      throw new InvalidRequestException(
          "'" + field + "' must be a number, got " + JsonFields.kind(n));
    }
    return n.doubleValue();
  }

  private static Long seed(JsonNode body) {
    JsonNode n = body.get("seed");
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new InvalidRequestException("'seed' must be an integer, got " + JsonFields.kind(n));
    }
    return n.longValue();
  }

  private static List<String> stop(JsonNode body) {
    JsonNode n = body.get("stop");
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isTextual()) {
      return List.of(n.textValue());
    }
    if (!n.isArray()) {
      throw new InvalidRequestException(
          "'stop' must be a string or an array of strings, got " + JsonFields.kind(n));
    }
    List<String> out = new ArrayList<>();
    for (JsonNode s : n) {
      if (!s.isTextual()) {
        throw new InvalidRequestException(
            "'stop' items must be strings, got " + JsonFields.kind(s));
      }
      out.add(s.textValue());
    }
    return out;
  }

  private static List<Integer> ids(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isArray()) {
      throw new InvalidRequestException(
          "'" + field + "' must be an array of token ids, got " + JsonFields.kind(n));
    }
    List<Integer> out = new ArrayList<>();
    for (JsonNode s : n) {
      if (!s.isIntegralNumber() || !s.canConvertToInt()) {
        throw new InvalidRequestException(
            "'" + field + "' items must be integers, got " + JsonFields.kind(s));
      }
      out.add(s.intValue());
    }
    return out;
  }

  private static boolean stream(JsonNode body) {
    return JsonFields.bool(body, "stream", false);
  }

  private static boolean includeUsage(JsonNode body) {
    JsonNode o = body.get("stream_options");
    if (o == null || o.isNull()) {
      return false;
    }
    if (!o.isObject()) {
      throw new InvalidRequestException(
          "'stream_options' must be an object, got " + JsonFields.kind(o));
    }
    return JsonFields.bool(o, "include_usage", false);
  }

  /**
   * A queue message's {@code generate} body: a chat completion when it has {@code messages}, else a
   * completion of {@code prompt}.
   */
  public static Call message(JsonNode message) {
    JsonFields.object(message);
    return message.has("messages") ? chat(message) : completion(message);
  }

  /**
   * A result as plain maps for a queue result: {@code {"choices": [{"index", "text",
   * "finish_reason"}], "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}}}.
   */
  public static java.util.Map<String, Object> result(io.maaskit.model.task.Generation g) {
    List<java.util.Map<String, Object>> choices = new ArrayList<>();
    for (io.maaskit.model.task.Generation.Choice c : g.choices()) {
      java.util.Map<String, Object> one = new java.util.LinkedHashMap<>();
      one.put("index", c.index());
      one.put("text", c.text());
      one.put("finish_reason", c.finishReason().key());
      if (!c.toolCalls().isEmpty()) {
        one.put("tool_calls", StructuredJson.toolCallMaps(c.toolCalls()));
      }
      choices.add(one);
    }
    java.util.Map<String, Object> usage = new java.util.LinkedHashMap<>();
    usage.put("prompt_tokens", g.promptTokens());
    usage.put("completion_tokens", g.completionTokens());
    usage.put("total_tokens", g.promptTokens() + g.completionTokens());
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    out.put("choices", choices);
    out.put("usage", usage);
    return out;
  }
}
