package io.maaskit.model.task;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.maaskit.model.error.InvalidRequestException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A package's Jinja chat template ({@code tokenizer_config.json}'s {@code chat_template}), rendered
 * the way Hugging Face's {@code apply_chat_template} does: {@code trim_blocks} and {@code
 * lstrip_blocks} on, {@code messages}, {@code add_generation_prompt} and the special tokens ({@code
 * bos_token}, {@code eos_token}, ...) bound, and {@code raise_exception(msg)} failing the request.
 * A template that raises, or fails to render, is the caller's conversation not fitting the model:
 * {@link InvalidRequestException} (400) with the template's message.
 *
 * <pre>{@code
 * ChatTemplate t = new ChatTemplate(config.chatTemplate().orElseThrow(), config.specialTokens());
 * String prompt = t.render(List.of(new ChatMessage("user", "Hi")), true);
 * }</pre>
 */
public final class ChatTemplate {
  private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

  private final String source;
  private final Map<String, String> specialTokens;
  private final Jinjava jinjava;

  /**
   * @param source the Jinja template
   * @param specialTokens names bound as variables ({@code bos_token} → {@code <s>})
   */
  public ChatTemplate(String source, Map<String, String> specialTokens) {
    this.source = source;
    this.specialTokens = Map.copyOf(specialTokens);
    this.jinjava =
        new Jinjava(
            JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withMaxOutputSize(4L << 20)
                .withLocale(Locale.ROOT)
                .build());
    jinjava
        .getGlobalContext()
        .registerFunction(
            new ELFunctionDefinition(
                "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
    jinjava
        .getGlobalContext()
        .registerFunction(
            new ELFunctionDefinition(
                "", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
  }

  /** The template's source (the tool-call format is read from it). */
  public String source() {
    return source;
  }

  /** A call's arguments as the template sees them: the parsed object, else the text. */
  private static Object arguments(String json) {
    try {
      Object v = io.maaskit.model.task.internal.JsonText.parse(json);
      return v instanceof Map ? v : json;
    } catch (IllegalArgumentException e) {
      return json;
    }
  }

  /** The template's {@code raise_exception}: records the message for {@link #render}. */
  public static String raiseException(String message) {
    RAISED.set(message == null ? "the chat template raised an exception" : message);
    throw new IllegalStateException(RAISED.get());
  }

  /** The template's {@code strftime_now(format)} (Llama 3.1+ templates print today's date). */
  public static String strftimeNow(String format) {
    StringBuilder p = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c == '%' && i + 1 < format.length()) {
        char f = format.charAt(++i);
        p.append(
            switch (f) {
              case 'd' -> "dd";
              case 'b' -> "MMM";
              case 'B' -> "MMMM";
              case 'm' -> "MM";
              case 'Y' -> "yyyy";
              case 'y' -> "yy";
              case 'A' -> "EEEE";
              case 'a' -> "EEE";
              default -> "'%" + f + "'";
            });
      } else if (Character.isLetter(c)) {
        p.append('\'').append(c).append('\'');
      } else {
        p.append(c);
      }
    }
    return LocalDate.now().format(DateTimeFormatter.ofPattern(p.toString(), Locale.ROOT));
  }

  /**
   * Renders a conversation.
   *
   * @param addGenerationPrompt end with the marker that starts the assistant's turn
   * @throws InvalidRequestException when the template raises or cannot render
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return render(messages, addGenerationPrompt, List.of());
  }

  /**
   * Renders a conversation with the functions the model may call, bound as {@code tools} the way
   * Hugging Face's {@code apply_chat_template(tools=...)} binds them ({@code [{"type": "function",
   * "function": {"name", "description", "parameters"}}]}); assistant messages carry {@code
   * tool_calls} (arguments as objects) and tool messages {@code tool_call_id}.
   *
   * @throws InvalidRequestException when the template raises, cannot render, or ignores the tools
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt, List<Tool> tools) {
    String out = render(messages, addGenerationPrompt, tools, true);
    if (!tools.isEmpty() && out.equals(render(messages, addGenerationPrompt, List.of(), false))) {
      throw new InvalidRequestException(
          "the model's chat template does not render tools (it has no use for a 'tools'"
              + " variable): this model cannot be given 'tools'");
    }
    return out;
  }

  private String render(
      List<ChatMessage> messages, boolean addGenerationPrompt, List<Tool> tools, boolean bind) {
    List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
    for (ChatMessage m : messages) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("role", m.role());
      one.put("content", m.content());
      if (m.toolCalls() != null && !m.toolCalls().isEmpty()) {
        List<Map<String, Object>> calls = new ArrayList<>();
        for (ToolCall c : m.toolCalls()) {
          Map<String, Object> fn = new LinkedHashMap<>();
          fn.put("name", c.name());
          fn.put("arguments", arguments(c.arguments()));
          Map<String, Object> call = new LinkedHashMap<>();
          call.put("id", c.id());
          call.put("type", "function");
          call.put("function", fn);
          calls.add(call);
        }
        one.put("tool_calls", calls);
      }
      if (m.toolCallId() != null) {
        one.put("tool_call_id", m.toolCallId());
      }
      msgs.add(one);
    }
    Map<String, Object> vars = new HashMap<>(specialTokens);
    vars.put("messages", msgs);
    vars.put("add_generation_prompt", addGenerationPrompt);
    if (bind && !tools.isEmpty()) {
      List<Map<String, Object>> list = new ArrayList<>();
      for (Tool t : tools) {
        Map<String, Object> fn = new LinkedHashMap<>();
        fn.put("name", t.name());
        if (t.description() != null) {
          fn.put("description", t.description());
        }
        fn.put(
            "parameters",
            t.parameters() != null
                ? t.parameters()
                : Map.of("type", "object", "properties", Map.of()));
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("type", "function");
        one.put("function", fn);
        list.add(one);
      }
      vars.put("tools", list);
    }
    RAISED.remove();
    RenderResult r;
    try {
      r = jinjava.renderForResult(source, vars);
    } catch (RuntimeException e) {
      throw new InvalidRequestException(
          "the model's chat template could not render this conversation: " + e.getMessage());
    }
    String raised = RAISED.get();
    RAISED.remove();
    if (raised != null) {
      throw new InvalidRequestException(
          "the model's chat template refused the conversation: " + raised);
    }
    for (TemplateError e : r.getErrors()) {
      if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new InvalidRequestException(
            "the model's chat template could not render this conversation: " + e.getMessage());
      }
    }
    return r.getOutput();
  }
}
