package io.maaskit.tools.quant;

import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.store.Progress;
import java.util.ArrayList;
import java.util.List;

/**
 * The reranker's quantization gate: what a cross-encoder serves is a score per (query, document)
 * pair and the order those scores put a query's documents in, so the int8 candidate is measured on
 * those, beside {@link AccuracyGate}'s cosine of the pooled hidden states. The calibration texts
 * are grouped as one query and the {@value #DOCUMENTS_PER_QUERY} texts after it as its documents;
 * both models score every pair, and the gate passes only if
 *
 * <ul>
 *   <li>no pair's relevance score (the logit's sigmoid, what {@code /rerank} answers) moves by more
 *       than {@link #maxScoreError()}, and
 *   <li>at least {@link #minOrderAgreement()} of the document pairs of a query that float32 tells
 *       apart (scores differing by more than {@value #TIE}) are ordered the same by the candidate.
 * </ul>
 */
public final class ScoreGate {
  /** Default largest change of one pair's sigmoid score. */
  public static final double DEFAULT_MAX_SCORE_ERROR = 0.02;

  /** Default smallest fraction of document pairs ordered as float32 orders them. */
  public static final double DEFAULT_MIN_ORDER_AGREEMENT = 0.95;

  /** Documents per query in the pairs built from the calibration texts. */
  public static final int DOCUMENTS_PER_QUERY = 8;

  /** Float32 scores closer than this are a tie: either order is right. */
  static final double TIE = 1e-4;

  private final double maxScoreError;
  private final double minOrderAgreement;

  /** A gate with the given thresholds. */
  public ScoreGate(double maxScoreError, double minOrderAgreement) {
    this.maxScoreError = maxScoreError;
    this.minOrderAgreement = minOrderAgreement;
  }

  /** The default thresholds. */
  public static ScoreGate defaults() {
    return new ScoreGate(DEFAULT_MAX_SCORE_ERROR, DEFAULT_MIN_ORDER_AGREEMENT);
  }

  /** The largest change of one pair's score the gate accepts. */
  public double maxScoreError() {
    return maxScoreError;
  }

  /** The smallest order agreement the gate accepts. */
  public double minOrderAgreement() {
    return minOrderAgreement;
  }

  /**
   * What the gate measured.
   *
   * @param pairs (query, document) pairs scored
   * @param maxError largest change of one pair's sigmoid score
   * @param meanError mean change
   * @param orderAgreement fraction of the document pairs float32 tells apart that the candidate
   *     orders the same (1 when there are none)
   * @param worstQuery the query of the pair with the largest change
   * @param passed whether both figures are within the gate's thresholds
   */
  public record Result(
      int pairs,
      double maxError,
      double meanError,
      double orderAgreement,
      String worstQuery,
      boolean passed) {}

  /** Scores the pairs built from {@code texts} with both models and compares them. */
  public Result measure(
      TextScorer reference, TextScorer candidate, List<String> texts, Progress progress) {
    if (texts.size() < 2) {
      throw new IllegalArgumentException("the score gate needs at least two texts");
    }
    int pairs = 0;
    double max = 0;
    double sum = 0;
    long agree = 0;
    long ordered = 0;
    String worst = texts.get(0);
    for (int q = 0; q + 1 < texts.size(); q += DOCUMENTS_PER_QUERY + 1) {
      String query = texts.get(q);
      List<String> docs = texts.subList(q + 1, Math.min(texts.size(), q + 1 + DOCUMENTS_PER_QUERY));
      double[] a = scores(reference, query, docs);
      double[] b = scores(candidate, query, docs);
      for (int i = 0; i < a.length; i++) {
        double err = Math.abs(a[i] - b[i]);
        if (Double.isNaN(err) || err > max) {
          max = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
          worst = query;
        }
        sum += err;
        pairs++;
        for (int j = i + 1; j < a.length; j++) {
          if (Math.abs(a[i] - a[j]) > TIE) {
            ordered++;
            if (Math.signum(a[i] - a[j]) == Math.signum(b[i] - b[j])) {
              agree++;
            }
          }
        }
      }
      progress.update("score gate: pairs scored", pairs, -1);
    }
    double agreement = ordered == 0 ? 1 : (double) agree / ordered;
    return new Result(
        pairs,
        max,
        sum / pairs,
        agreement,
        worst,
        max <= maxScoreError && agreement >= minOrderAgreement);
  }

  /** Sigmoid scores of {@code query} with each document, in one batch. */
  private static double[] scores(TextScorer scorer, String query, List<String> docs) {
    List<Tokens> batch = new ArrayList<>(docs.size());
    for (String d : docs) {
      batch.add(scorer.tokenizePair(query, d).tokens());
    }
    float[][] logits = scorer.score(batch);
    double[] out = new double[logits.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = 1 / (1 + Math.exp(-logits[i][0]));
    }
    return out;
  }
}
