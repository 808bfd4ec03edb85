package io.maaskit.tools.quant;

import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.store.Progress;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-token heads' quantization gate: what a token classifier serves is a label per token, so
 * the int8 candidate is measured on its per-token logits, beside {@link AccuracyGate}'s cosine of
 * the pooled hidden states. Each calibration text is tokenized whole, framed with the model's
 * specials and cut to its length; both models give every token its logits, and the gate passes only
 * if
 *
 * <ul>
 *   <li>every token's logit vector keeps a cosine of at least {@link #minCosine()} to float32's,
 *       and
 *   <li>at least {@link #minAgreement()} of the tokens keep float32's best column (the label the
 *       token is given).
 * </ul>
 *
 * <p>On the token classifier the suite trains ({@code TokenClassifierTrainingTest}:
 * all-MiniLM-L6-v2 with an entity head fine-tuned on tagged sentences) int8 measures a worst token
 * cosine of 0.9927 and a label agreement of 0.9880, which pass the defaults with little room.
 */
public final class TokenLogitsGate {
  /** Default smallest cosine of one token's logits to float32's. */
  public static final double DEFAULT_MIN_COSINE = 0.99;

  /** Default smallest fraction of tokens whose best column is float32's. */
  public static final double DEFAULT_MIN_AGREEMENT = 0.98;

  /** Texts per forward pass. */
  static final int BATCH = 8;

  private final double minCosine;
  private final double minAgreement;

  /** A gate with the given thresholds. */
  public TokenLogitsGate(double minCosine, double minAgreement) {
    if (!(minCosine > -1 && minCosine <= 1)) {
      throw new IllegalArgumentException("token cosine must be in (-1, 1], got " + minCosine);
    }
    if (!(minAgreement >= 0 && minAgreement <= 1)) {
      throw new IllegalArgumentException("label agreement must be in [0, 1], got " + minAgreement);
    }
    this.minCosine = minCosine;
    this.minAgreement = minAgreement;
  }

  /** The default thresholds. */
  public static TokenLogitsGate defaults() {
    return new TokenLogitsGate(DEFAULT_MIN_COSINE, DEFAULT_MIN_AGREEMENT);
  }

  /** The smallest per-token cosine the gate accepts. */
  public double minCosine() {
    return minCosine;
  }

  /** The smallest label agreement the gate accepts. */
  public double minAgreement() {
    return minAgreement;
  }

  /**
   * What the gate measured.
   *
   * @param inputs texts run
   * @param tokens tokens compared (specials included)
   * @param worstCosine smallest cosine of one token's logits to float32's
   * @param meanCosine mean over the tokens
   * @param agreement fraction of tokens whose best column is float32's
   * @param worstInput the text holding the token of {@code worstCosine}
   * @param minCosine the gate's threshold on {@code worstCosine}
   * @param minAgreement the gate's threshold on {@code agreement}
   * @param passed whether both figures are within the thresholds
   */
  public record Result(
      int inputs,
      long tokens,
      double worstCosine,
      double meanCosine,
      double agreement,
      String worstInput,
      double minCosine,
      double minAgreement,
      boolean passed) {}

  /** Runs {@code texts} through both models and compares their per-token logits. */
  public Result measure(
      TokenLogits reference, TokenLogits candidate, List<String> texts, Progress progress) {
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("the token-logits gate needs at least one text");
    }
    long tokens = 0;
    long agree = 0;
    double sum = 0;
    double worst = Double.POSITIVE_INFINITY;
    String worstInput = texts.get(0);
    for (int from = 0; from < texts.size(); from += BATCH) {
      List<String> chunk = texts.subList(from, Math.min(texts.size(), from + BATCH));
      List<Tokens> batch = new ArrayList<>(chunk.size());
      for (String t : chunk) {
        batch.add(framed(reference, t));
      }
      float[][][] a = reference.tokenLogits(batch);
      float[][][] b = candidate.tokenLogits(batch);
      for (int i = 0; i < a.length; i++) {
        for (int k = 0; k < a[i].length; k++) {
          double cos = cosine(a[i][k], b[i][k]);
          if (!(cos >= worst)) { // NaN counts as the worst
            worst = Double.isNaN(cos) ? Double.NEGATIVE_INFINITY : cos;
            worstInput = chunk.get(i);
          }
          sum += Double.isNaN(cos) ? -1 : cos;
          agree += argmax(a[i][k]) == argmax(b[i][k]) ? 1 : 0;
          tokens++;
        }
      }
      progress.update("token-logits gate: texts run", from + chunk.size(), texts.size());
    }
    double agreement = (double) agree / tokens;
    return new Result(
        texts.size(),
        tokens,
        worst,
        sum / tokens,
        agreement,
        worstInput,
        minCosine,
        minAgreement,
        worst >= minCosine && agreement >= minAgreement);
  }

  /** [CLS] text [SEP] (or the family's specials), cut to the model's length. */
  private static Tokens framed(TokenLogits m, String text) {
    long[] p = m.pieces(text).ids();
    int kept = Math.min(p.length, m.maxLength() - 2);
    long[] ids = new long[kept + 2];
    ids[0] = m.clsId();
    System.arraycopy(p, 0, ids, 1, kept);
    ids[kept + 1] = m.sepId();
    return new Tokens(ids, new long[ids.length]);
  }

  private static double cosine(float[] x, float[] y) {
    double dot = 0;
    double nx = 0;
    double ny = 0;
    for (int c = 0; c < x.length; c++) {
      dot += (double) x[c] * y[c];
      nx += (double) x[c] * x[c];
      ny += (double) y[c] * y[c];
    }
    return dot / Math.sqrt(nx * ny);
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int c = 1; c < v.length; c++) {
      if (v[c] > v[best]) {
        best = c;
      }
    }
    return best;
  }
}
