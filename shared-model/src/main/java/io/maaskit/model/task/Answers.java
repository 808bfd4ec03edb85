package io.maaskit.model.task;

import java.util.List;

/**
 * A question's answers, best first.
 *
 * @param model the model name that served the request
 * @param answers at most the request's {@code topK}
 * @param tokens tokens the model read over all windows
 */
public record Answers(String model, List<Answer> answers, int tokens) {
  /**
   * One answer: a span of the context ({@code start == end == 0} and empty text for "no answer").
   *
   * @param text {@code context.substring(start, end)}
   * @param score the start token's probability times the end token's
   * @param start first character of the span in the context (UTF-16 index)
   * @param end one past its last character
   */
  public record Answer(String text, float score, int start, int end) {}
}
