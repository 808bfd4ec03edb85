package io.maaskit.model.task;

import java.util.List;

/**
 * A request to explain a generator's completion of a prompt: how much each prompt token contributed
 * to the completion's log-probability.
 *
 * @param model the generator package; null for the service's default generator
 * @param prompt the prompt text (with the tokenizer's special tokens), or null when {@code
 *     messages} is given
 * @param messages a conversation rendered through the package's chat template with the generation
 *     prompt, or null when {@code prompt} is given
 * @param completion the completion to explain; null to explain the model's own greedy completion
 * @param maxTokens most tokens of the greedy completion (only without {@code completion}); null for
 *     {@link ExplainService#DEFAULT_COMPLETION_TOKENS} or what the context leaves
 * @param method {@link ExplainMethod#INTEGRATED_GRADIENTS} or {@link ExplainMethod#OCCLUSION}; null
 *     for the service's choice (Integrated Gradients where the model is served on an engine that
 *     computes gradients, occlusion otherwise)
 * @param steps Integrated Gradients steps; null for the service's default
 * @param perToken whether to return, per completion token, the prompt tokens' contributions to that
 *     token's log-probability as well
 */
public record CompletionExplainRequest(
    String model,
    String prompt,
    List<ChatMessage> messages,
    String completion,
    Integer maxTokens,
    ExplainMethod method,
    Integer steps,
    boolean perToken) {
  public CompletionExplainRequest {
    messages = messages == null ? null : List.copyOf(messages);
  }
}
