package io.maaskit.model.task;

import io.maaskit.model.error.InvalidRequestException;
import java.util.List;

/** Protocol-free checks every service applies, whatever adapter validated the request before. */
final class Requests {
  private Requests() {}

  static List<String> inputs(List<String> inputs, int max) {
    if (inputs == null || inputs.isEmpty()) {
      throw new InvalidRequestException("a request needs at least one input text");
    }
    if (inputs.size() > max) {
      throw new InvalidRequestException(
          inputs.size() + " inputs; at most " + max + " are allowed per request");
    }
    for (int i = 0; i < inputs.size(); i++) {
      if (inputs.get(i) == null || inputs.get(i).isEmpty()) {
        throw new InvalidRequestException("input " + i + " is empty");
      }
    }
    return inputs;
  }

  /**
   * A request's admission price before tokenizing: per input, its tokens estimated from its length
   * (a token is rarely under 4 characters of English) plus the two special tokens, at most {@code
   * maxLength}.
   */
  static long work(List<String> texts, int maxLength) {
    long w = 0;
    for (String t : texts) {
      w += Math.min(maxLength, t.length() / 4 + 2);
    }
    return w;
  }

  /**
   * {@link #work}'s price for a query paired with each text: per pair, both texts' estimated tokens
   * plus the three special tokens, at most {@code maxLength}.
   */
  static long pairWork(String query, List<String> texts, int maxLength) {
    long w = 0;
    for (String t : texts) {
      w += Math.min(maxLength, (query.length() + t.length()) / 4 + 3);
    }
    return w;
  }
}
