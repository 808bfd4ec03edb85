package io.maaskit.tools.quant;

import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.store.Progress;
import io.maaskit.model.task.EmbeddingService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Compares a reference encoder (float32) with a candidate (int8) input by input: both embed the
 * same texts and the cosine of each pair of vectors is measured. The gate passes only if every
 * input reaches {@code minCosine}; an average hides the one input a quantized model gets badly
 * wrong.
 *
 * <pre>{@code
 * AccuracyGate.Result r = new AccuracyGate(0.99).measure(fp32, int8, CalibrationSet.calibration().texts(), progress);
 * if (!r.passed()) { ... r.worstInput() ... }
 * }</pre>
 */
public final class AccuracyGate {
  /** The default threshold: every input's int8 vector within cosine 0.99 of the float32 one. */
  public static final double DEFAULT_MIN_COSINE = 0.99;

  private static final int CHUNK = 32;

  private final double minCosine;

  /** A gate with the given per-input cosine threshold, in (0, 1]. */
  public AccuracyGate(double minCosine) {
    if (!(minCosine > 0 && minCosine <= 1)) {
      throw new IllegalArgumentException("min cosine must be in (0, 1], got " + minCosine);
    }
    this.minCosine = minCosine;
  }

  /** The threshold. */
  public double minCosine() {
    return minCosine;
  }

  /**
   * What the gate measured.
   *
   * @param threshold the gate's per-input minimum
   * @param minCosine lowest cosine over all inputs
   * @param meanCosine mean cosine
   * @param inputs number of inputs compared
   * @param worstIndex index of the input with the lowest cosine
   * @param worstInput that input
   * @param cosines every input's cosine, in input order
   */
  public record Result(
      double threshold,
      double minCosine,
      double meanCosine,
      int inputs,
      int worstIndex,
      String worstInput,
      double[] cosines) {
    /** Whether every input reached the threshold. */
    public boolean passed() {
      return minCosine >= threshold;
    }

    /** Number of inputs below the threshold. */
    public long failures() {
      return java.util.Arrays.stream(cosines).filter(c -> c < threshold).count();
    }
  }

  /** Embeds {@code texts} with both encoders (in chunks, reporting progress) and compares them. */
  public Result measure(
      TextEncoder reference, TextEncoder candidate, List<String> texts, Progress progress) {
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("the accuracy gate needs at least one input");
    }
    if (reference.dimension() != candidate.dimension()) {
      throw new IllegalArgumentException(
          "encoders differ in dimension: "
              + reference.dimension()
              + " vs "
              + candidate.dimension());
    }
    return measure(embed(reference, texts, progress), candidate, texts, progress);
  }

  /**
   * Compares a candidate with reference vectors embedded earlier by {@link #embed} for the same
   * {@code texts} (so a quantizer trying several candidates embeds with float32 once).
   */
  public Result measure(
      float[][] reference, TextEncoder candidate, List<String> texts, Progress progress) {
    if (reference.length != texts.size()) {
      throw new IllegalArgumentException(
          reference.length + " reference vectors for " + texts.size() + " inputs");
    }
    float[][] b = embed(candidate, texts, progress);
    double[] cos = new double[texts.size()];
    for (int i = 0; i < cos.length; i++) {
      if (reference[i].length != b[i].length) {
        throw new IllegalArgumentException(
            "encoders differ in dimension: " + reference[i].length + " vs " + b[i].length);
      }
      cos[i] = cosine(reference[i], b[i]);
    }
    int worst = 0;
    double sum = 0;
    for (int i = 0; i < cos.length; i++) {
      sum += cos[i];
      if (cos[i] < cos[worst]) {
        worst = i;
      }
    }
    return new Result(
        minCosine, cos[worst], sum / cos.length, cos.length, worst, texts.get(worst), cos);
  }

  /**
   * The unnormalized vectors of {@code texts}, in input order, embedded in chunks of similar
   * length: a chunk mixing one long input with short ones pads them all to its length, which on a
   * 12-layer model costs several times the useful work.
   */
  public static float[][] embed(TextEncoder encoder, List<String> texts, Progress progress) {
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("the accuracy gate needs at least one input");
    }
    Integer[] order = new Integer[texts.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> texts.get(i).length()));
    float[][] out = new float[texts.size()][];
    for (int start = 0; start < order.length; start += CHUNK) {
      int end = Math.min(order.length, start + CHUNK);
      List<String> chunk = new ArrayList<>(end - start);
      for (int i = start; i < end; i++) {
        chunk.add(texts.get(order[i]));
      }
      float[][] v = EmbeddingService.embed(encoder, chunk, false).vectors();
      for (int i = start; i < end; i++) {
        out[order[i]] = v[i - start];
      }
      progress.update(
          "accuracy gate: inputs embedded by " + encoder.manifest().id(), end, texts.size());
    }
    return out;
  }

  /** Cosine similarity of two vectors (0 when either is all zeros, -1 when either holds NaN). */
  public static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    double c = na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    return Double.isNaN(c) ? -1 : c; // a NaN vector must fail the gate, not slip past comparisons
  }
}
