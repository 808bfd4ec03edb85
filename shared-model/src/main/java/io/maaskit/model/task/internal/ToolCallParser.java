package io.maaskit.model.task.internal;

import io.maaskit.model.task.ToolCall;
import io.maaskit.model.task.internal.constraint.Grammars;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Finds tool calls in a generated text, in the format of the model's family: Hermes / Qwen2 ({@code
 * <tool_call>{"name", "arguments"}</tool_call>}, one block per call) or Llama 3.1 (the whole text
 * one {@code {"name", "parameters"}} object, after an optional {@code <|python_tag|>}). A text is a
 * call only when it begins with the format's marker, every call parses and names a declared
 * function; anything else stays text.
 */
public final class ToolCallParser {
  private static final String PYTHON_TAG = "<|python_tag|>";

  private final Grammars.CallFormat format;
  private final Set<String> functions;

  /** What a text held: the text around the calls, and the calls (empty when none). */
  public record Parsed(String content, List<ToolCall> calls) {}

  public ToolCallParser(Grammars.CallFormat format, Set<String> functions) {
    this.format = format;
    this.functions = Set.copyOf(functions);
  }

  /**
   * Whether {@code text} (the start of an output) may still turn out to be a tool call: what a
   * stream must hold back.
   */
  public boolean mayBeCall(String text) {
    String t = text.stripLeading();
    if (format == Grammars.CallFormat.LLAMA3 && t.startsWith(PYTHON_TAG)) {
      return true;
    }
    String m = format.marker();
    return t.length() < m.length() ? m.startsWith(t) || PYTHON_TAG.startsWith(t) : t.startsWith(m);
  }

  /** The calls in a whole output. */
  public Parsed parse(String text) {
    List<ToolCall> calls = new ArrayList<>();
    String t = text.strip();
    if (format == Grammars.CallFormat.HERMES) {
      if (!t.startsWith("<tool_call>")) {
        return new Parsed(text, List.of());
      }
      StringBuilder rest = new StringBuilder();
      int at = 0;
      while (true) {
        int open = t.indexOf("<tool_call>", at);
        if (open < 0) {
          rest.append(t, at, t.length());
          break;
        }
        rest.append(t, at, open);
        int close = t.indexOf("</tool_call>", open);
        String body = t.substring(open + "<tool_call>".length(), close < 0 ? t.length() : close);
        ToolCall c = call(body, "arguments");
        if (c == null) {
          return new Parsed(text, List.of());
        }
        calls.add(c);
        at = close < 0 ? t.length() : close + "</tool_call>".length();
      }
      return new Parsed(rest.toString().strip(), calls);
    }
    if (t.startsWith(PYTHON_TAG)) {
      t = t.substring(PYTHON_TAG.length());
    }
    ToolCall c = t.startsWith("{") ? call(t, "parameters") : null;
    return c == null ? new Parsed(text, List.of()) : new Parsed("", List.of(c));
  }

  private ToolCall call(String body, String argumentsKey) {
    Map<String, String> members = JsonText.members(body.strip());
    if (members == null || !members.containsKey("name")) {
      return null;
    }
    Object name = JsonText.parse(members.get("name"));
    if (!(name instanceof String fn) || !functions.contains(fn)) {
      return null;
    }
    String raw =
        members.containsKey(argumentsKey) ? members.get(argumentsKey) : members.get("arguments");
    Object args = raw == null ? Map.of() : JsonText.parse(raw);
    String arguments;
    if (args == null || (args instanceof Map<?, ?> m && m.isEmpty() && raw == null)) {
      arguments = "{}";
    } else if (args instanceof String text) {
      arguments = text;
    } else if (args instanceof Map) {
      arguments = raw.strip();
    } else {
      return null;
    }
    return new ToolCall(newId(), fn, arguments);
  }

  /** A call id in OpenAI's shape. */
  public static String newId() {
    return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
  }
}
