package io.maaskit.model.task;

import java.util.List;

/**
 * The result of a {@link GenerateRequest}: one choice per requested sequence, with token counts.
 *
 * @param model the model name the request asked for, or the service's default
 * @param choices the choices, by index
 * @param promptTokens tokens of the prompt (after the chat template)
 * @param completionTokens tokens generated over all choices (the stop token counted, as OpenAI
 *     does)
 */
public record Generation(
    String model, List<Choice> choices, int promptTokens, int completionTokens) {
  /** Copies the choices. */
  public Generation {
    choices = List.copyOf(choices);
  }

  /**
   * One generated sequence.
   *
   * @param index position among the request's {@code n} choices
   * @param text the generated text, without a stop string or end-of-sequence token
   * @param finishReason why it ended
   * @param logprobs per generated token, when the request asked for them, else null
   * @param tokens generated tokens, the stop token included
   * @param toolCalls the tool calls the text held (then {@code text} is what is left around them,
   *     often empty), or an empty list
   */
  public record Choice(
      int index,
      String text,
      FinishReason finishReason,
      List<TokenLogprob> logprobs,
      int tokens,
      List<ToolCall> toolCalls) {
    /** Copies the calls. */
    public Choice {
      toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    /** A choice without tool calls. */
    public Choice(
        int index,
        String text,
        FinishReason finishReason,
        List<TokenLogprob> logprobs,
        int tokens) {
      this(index, text, finishReason, logprobs, tokens, List.of());
    }
  }

  /**
   * A generated token's log-probability under the model (before temperature and top-k/top-p) and
   * the most likely alternatives at its position.
   *
   * @param token the token's text (its bytes as UTF-8; a piece of a multi-byte character shows as
   *     U+FFFD)
   * @param id the token id
   * @param logprob natural log of its probability
   * @param bytes the raw bytes it stands for
   * @param top the most likely tokens at that position, most likely first
   */
  public record TokenLogprob(
      String token, int id, double logprob, byte[] bytes, List<TopLogprob> top) {}

  /** An alternative token at a position: text, id, log-probability, raw bytes. */
  public record TopLogprob(String token, int id, double logprob, byte[] bytes) {}
}
