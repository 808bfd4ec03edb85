package io.maaskit.model.task.internal;

import io.maaskit.model.arch.SequenceModel;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.task.Admission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Length-bucketed sub-batches, for every sequence model: inputs are tokenized, sorted by length and
 * cut into padded sub-batches under a padding cap and a memory budget, so 256 long inputs do not
 * allocate gigabytes of attention scores and a mixed batch does not spend half its work on padding.
 * Each sub-batch runs in an admission slot of the request's {@link Admission.Ticket}, so a large
 * batch interleaves with other requests and stops between sub-batches once it is cancelled.
 */
public final class Batching {
  /** Upper bound on the largest intermediate's elements per sub-batch (32 MB in fp32). */
  public static final long MAX_ACTIVATION_ELEMENTS = 8L * 1024 * 1024;

  /** Most padded tokens per real token in a sub-batch. */
  public static final double MAX_PADDING = 1.25;

  /** Upper bound on inputs per sub-batch. */
  public static final int MAX_BATCH = 64;

  private Batching() {}

  /** Rows in input order, and the number of tokens the model saw (after truncation). */
  public record Result(float[][] rows, int tokens) {}

  /**
   * Tokenizes {@code texts}, runs {@code batch} on each planned sub-batch (each in a slot of {@code
   * ticket}) and reassembles the rows in input order.
   *
   * @param maxTokens most tokens the request may cost after truncation; 0 = no limit
   * @throws PayloadTooLargeException when the inputs cost more than {@code maxTokens}
   */
  public static Result run(
      SequenceModel model,
      List<String> texts,
      Admission.Ticket ticket,
      long maxTokens,
      Function<List<Tokens>, float[][]> batch) {
    return runTokens(model, model.tokenizeAll(texts), ticket, maxTokens, batch);
  }

  /**
   * {@link #run(SequenceModel, List, Admission.Ticket, long, Function)} over inputs already
   * tokenized (pairs, for rerankers).
   */
  public static Result runTokens(
      SequenceModel model,
      List<Tokens> encoded,
      Admission.Ticket ticket,
      long maxTokens,
      Function<List<Tokens>, float[][]> batch) {
    long total = encoded.stream().mapToLong(Tokens::length).sum();
    if (maxTokens > 0 && total > maxTokens) {
      throw new PayloadTooLargeException(
          "the inputs come to "
              + total
              + " tokens after truncation to "
              + model.maxLength()
              + " per input; at most "
              + maxTokens
              + " are allowed per request: send fewer or shorter inputs");
    }
    Integer[] order = new Integer[encoded.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> encoded.get(i).length()));
    float[][] out = new float[encoded.size()][];
    int tokensSeen = 0;
    for (int[] range : plan(model, encoded, order)) {
      List<Tokens> sub = new ArrayList<>(range[1] - range[0]);
      int longest = 0;
      for (int i = range[0]; i < range[1]; i++) {
        sub.add(encoded.get(order[i]));
        tokensSeen += encoded.get(order[i]).length();
        longest = Math.max(longest, encoded.get(order[i]).length());
      }
      float[][] rows = ticket.run((long) sub.size() * longest, () -> batch.apply(sub));
      for (int i = range[0]; i < range[1]; i++) {
        out[order[i]] = rows[i - range[0]];
      }
    }
    return new Result(out, tokensSeen);
  }

  /** {@link #run(SequenceModel, List, Admission.Ticket, long, Function)} without limits. */
  public static Result run(
      SequenceModel model, List<String> texts, Function<List<Tokens>, float[][]> batch) {
    try (Admission.Ticket t = UNLIMITED.enter(io.maaskit.model.task.Cancellation.NONE)) {
      return run(model, texts, t, 0, batch);
    }
  }

  private static final Admission UNLIMITED = Admission.unlimited();

  /**
   * Sub-batch boundaries {@code [start, end)} over inputs sorted by length: a new sub-batch starts
   * when padding would exceed a quarter of the real tokens or the batch would outgrow its budget.
   */
  static List<int[]> plan(SequenceModel model, List<Tokens> encoded, Integer[] order) {
    List<int[]> out = new ArrayList<>();
    int start = 0;
    while (start < order.length) {
      int end = start;
      int maxLen = 0;
      long realTokens = 0;
      while (end < order.length && end - start < MAX_BATCH) {
        int len = encoded.get(order[end]).length();
        int newMax = Math.max(maxLen, len);
        int count = end - start + 1;
        if (end > start
            && (model.activationElements(count, newMax) > MAX_ACTIVATION_ELEMENTS
                || (long) count * newMax > MAX_PADDING * (realTokens + len))) {
          break;
        }
        maxLen = newMax;
        realTokens += len;
        end++;
      }
      out.add(new int[] {start, end});
      start = end;
    }
    return out;
  }
}
