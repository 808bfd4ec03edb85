package io.maaskit.model.task;

import java.util.List;

/**
 * Each prompt token's contribution to a completion's log-probability under a generator.
 *
 * @param model the generator that served the request
 * @param method the method's request name
 * @param promptTokens the prompt's tokens in order (chat markers included), each with its
 *     attribution: positive where the token made the completion more likely
 * @param completion the completion's text (special tokens skipped)
 * @param completionTokens the completion's tokens, each with its log-probability given the prompt
 *     and the completion before it
 * @param logprob log p(completion | prompt), the sum of the completion tokens' log-probabilities
 * @param baselineToken Integrated Gradients only: the token that stands in for every non-special
 *     prompt token at the baseline; null for occlusion
 * @param baselineLogprob Integrated Gradients only: log p(completion | baseline prompt); else null
 * @param completenessGap Integrated Gradients only: |sum of attributions - (logprob -
 *     baselineLogprob)|; else null
 * @param perToken on request, per completion token the prompt tokens' contributions to that token's
 *     log-probability ({@code [completion token][prompt token]}, rows summing to the attributions);
 *     else null
 */
public record CompletionExplanation(
    String model,
    String method,
    List<PromptToken> promptTokens,
    String completion,
    List<CompletionToken> completionTokens,
    double logprob,
    Integer baselineToken,
    Double baselineLogprob,
    Double completenessGap,
    float[][] perToken) {
  /**
   * One prompt token.
   *
   * @param id its token id
   * @param token its text (a special token's name)
   * @param special whether it is a special token (kept at the baseline, never deleted)
   * @param attribution its contribution to log p(completion | prompt)
   */
  public record PromptToken(int id, String token, boolean special, float attribution) {}

  /**
   * One completion token.
   *
   * @param id its token id
   * @param token its text
   * @param logprob its log-probability given the prompt and the completion tokens before it
   */
  public record CompletionToken(int id, String token, double logprob) {}
}
