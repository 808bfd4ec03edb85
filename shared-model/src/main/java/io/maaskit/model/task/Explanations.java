package io.maaskit.model.task;

import java.util.List;

/**
 * Per input, the explained label and the tokens' attributions toward it.
 *
 * @param model the model name that served the request
 * @param explanations one per input, in input order
 * @param promptTokens tokens the model saw, after truncation
 */
public record Explanations(String model, List<Explanation> explanations, int promptTokens) {
  /**
   * One input's explanation.
   *
   * @param label the explained label
   * @param score the model's probability of that label
   * @param method the method's request name
   * @param tokens per token (or word) its text, character span and attribution
   * @param completenessGap Integrated Gradients only: |sum of attributions - (p(x) - p(baseline))|
   *     with p the label's probability; null for the other methods
   */
  public record Explanation(
      String label,
      float score,
      String method,
      List<TokenAttribution> tokens,
      Double completenessGap) {}

  /**
   * One token (or word) and its attribution.
   *
   * @param token the tokenizer's piece (the original text for words; {@code [CLS]} etc. for special
   *     tokens, whose span is empty)
   * @param start first character in the original text
   * @param end one past the last character
   * @param attribution its share of the decision; positive supports the label
   */
  public record TokenAttribution(String token, int start, int end, float attribution) {}
}
