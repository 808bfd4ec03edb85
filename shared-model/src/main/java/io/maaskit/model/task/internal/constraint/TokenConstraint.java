package io.maaskit.model.task.internal.constraint;

import java.util.Arrays;
import java.util.Set;

/**
 * One sequence's place in a {@link TokenAutomaton}: masks a row of logits to the tokens that keep
 * the output valid and completable within the tokens left, and follows the tokens picked. The end
 * tokens are allowed only where the output is whole.
 */
public final class TokenConstraint {
  private final TokenAutomaton automaton;
  private Machine.State state;

  TokenConstraint(TokenAutomaton automaton, Machine.State state) {
    this.automaton = automaton;
    this.state = state;
  }

  /**
   * A copy of {@code logits} with every token that cannot come next at negative infinity.
   *
   * @param remaining tokens this sequence may still generate, this one included: a token is allowed
   *     only if the shortest completion after it fits in the rest (one byte per token at worst), so
   *     the output closes before {@code max_tokens} whenever it can
   * @param endIds end-of-sequence and stop token ids, allowed where the output is whole
   */
  public float[] mask(float[] logits, int remaining, Set<Integer> endIds) {
    TokenAutomaton.Step step = automaton.step(state);
    float[] out = new float[logits.length];
    Arrays.fill(out, Float.NEGATIVE_INFINITY);
    int[] ids = step.ids();
    int[] costs = step.costs();
    int[] starts = step.starts();
    int limit = remaining - 1;
    if (costs.length > 0 && costs[0] > limit) {
      limit = costs[0]; // cannot fit: take the shortest way to the end
    }
    int end = 0;
    for (int k = 0; k < costs.length && costs[k] <= limit; k++) {
      end = starts[k + 1];
    }
    for (int i = 0; i < end; i++) {
      int id = ids[i];
      if (id < out.length) {
        out[id] = logits[id];
      }
    }
    if (state.accepting()) {
      for (int id : endIds) {
        if (id >= 0 && id < out.length) {
          out[id] = logits[id];
        }
      }
    }
    return out;
  }

  /** Follows a picked token (not an end token). */
  public void accept(int id) {
    Machine.State next = automaton.advance(state, id);
    if (next == null) {
      throw new IllegalStateException("token " + id + " breaks the output's grammar");
    }
    state = next;
  }

  /** Whether the output is whole and nothing may follow (the choice ends here). */
  public boolean complete() {
    return state.complete();
  }

  /** Whether the output is whole (an end token may come). */
  public boolean accepting() {
    return state.accepting();
  }
}
