package io.maaskit.model.task.internal;

import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.task.Admission;
import java.util.ArrayList;
import java.util.List;

/**
 * Overlapping windows over a long token sequence, as Hugging Face tokenizers cut overflowing
 * tokens: each window holds up to {@code room} tokens and starts {@code room - stride} after the
 * one before, until a window reaches the end; so every token is read, and tokens near a window's
 * edge are read again with {@code stride} tokens of context in the next.
 */
public final class TokenWindows {
  private TokenWindows() {}

  /**
   * {@code [from, to)} ranges over {@code n} tokens (one empty window when {@code n} is 0).
   *
   * @throws IllegalArgumentException unless {@code 0 <= stride < room}
   */
  public static List<int[]> of(int n, int room, int stride) {
    if (room < 1 || stride < 0 || stride >= room) {
      throw new IllegalArgumentException(
          "a stride of " + stride + " needs windows longer than it; windows hold " + room);
    }
    List<int[]> out = new ArrayList<>();
    for (int from = 0; ; from += room - stride) {
      int to = Math.min(n, from + room);
      out.add(new int[] {from, to});
      if (to == n) {
        return out;
      }
    }
  }

  /** Per-token logits of every window ({@code [window][token][column]}) and the tokens read. */
  public record Logits(float[][][] windows, int tokens) {}

  /**
   * Runs windows through a per-token head with the batching, admission slots and token limit of
   * every other request ({@link Batching#runTokens}).
   */
  public static Logits run(
      TokenLogits model, List<Tokens> windows, Admission.Ticket ticket, long maxTokens) {
    int columns = model.labels().size();
    Batching.Result r =
        Batching.runTokens(
            model,
            windows,
            ticket,
            maxTokens,
            batch -> {
              float[][][] logits = model.tokenLogits(batch);
              float[][] flat = new float[logits.length][];
              for (int i = 0; i < logits.length; i++) {
                flat[i] = new float[logits[i].length * columns];
                for (int t = 0; t < logits[i].length; t++) {
                  System.arraycopy(logits[i][t], 0, flat[i], t * columns, columns);
                }
              }
              return flat;
            });
    float[][][] out = new float[windows.size()][][];
    for (int i = 0; i < out.length; i++) {
      int n = windows.get(i).length();
      out[i] = new float[n][];
      for (int t = 0; t < n; t++) {
        out[i][t] = java.util.Arrays.copyOfRange(r.rows()[i], t * columns, (t + 1) * columns);
      }
    }
    return new Logits(out, r.tokens());
  }
}
