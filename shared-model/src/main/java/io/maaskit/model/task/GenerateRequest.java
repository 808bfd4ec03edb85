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
 */
public record GenerateRequest(
    String model, String prompt, List<ChatMessage> messages, SamplingParams sampling) {
  /** Copies the messages. */
  public GenerateRequest {
    messages = messages == null ? null : List.copyOf(messages);
    sampling = sampling == null ? SamplingParams.defaults() : sampling;
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
