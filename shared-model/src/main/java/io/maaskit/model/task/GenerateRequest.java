package io.maaskit.model.task;

import java.util.List;

/**
 * A text generation request: a raw prompt (completions) or a conversation rendered through the
 * package's chat template (chat completions).
 *
 * @param model the generator package ({@code name} or {@code name@version}); null = the service's
 *     default
 * @param prompt the prompt text, or null when {@code messages} is given
 * @param messages the conversation, or null when {@code prompt} is given
 * @param sampling how to pick tokens and when to stop
 * @param responseFormat the output's shape (null: free text)
 * @param tools functions the model may call (chat only; null or empty: none)
 * @param toolChoice whether and which tool must be called (null: {@code auto} with tools)
 */
public record GenerateRequest(
    String model,
    String prompt,
    List<ChatMessage> messages,
    SamplingParams sampling,
    ResponseFormat responseFormat,
    List<Tool> tools,
    ToolChoice toolChoice) {
  /** Copies the lists; fills the defaults. */
  public GenerateRequest {
    messages = messages == null ? null : List.copyOf(messages);
    sampling = sampling == null ? SamplingParams.defaults() : sampling;
    responseFormat = responseFormat == null ? ResponseFormat.TEXT : responseFormat;
    tools = tools == null ? List.of() : List.copyOf(tools);
    toolChoice =
        toolChoice == null ? (tools.isEmpty() ? ToolChoice.NONE : ToolChoice.AUTO) : toolChoice;
  }

  /** A request without a response format or tools. */
  public GenerateRequest(
      String model, String prompt, List<ChatMessage> messages, SamplingParams sampling) {
    this(model, prompt, messages, sampling, null, null, null);
  }

  /** This request with {@code format} as its response format. */
  public GenerateRequest withResponseFormat(ResponseFormat format) {
    return new GenerateRequest(model, prompt, messages, sampling, format, tools, toolChoice);
  }

  /** This request with tools and a tool choice. */
  public GenerateRequest withTools(List<Tool> tools, ToolChoice choice) {
    return new GenerateRequest(model, prompt, messages, sampling, responseFormat, tools, choice);
  }

  /** A completion of {@code prompt}. */
  public static GenerateRequest completion(String model, String prompt, SamplingParams sampling) {
    return new GenerateRequest(model, prompt, null, sampling);
  }

  /** A chat completion of {@code messages}. */
  public static GenerateRequest chat(
      String model, List<ChatMessage> messages, SamplingParams sampling) {
    return new GenerateRequest(model, null, messages, sampling);
  }

  /** Whether this is a chat request. */
  public boolean isChat() {
    return messages != null;
  }
}
