package io.maaskit.training;

import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.Tokens;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How well a reranker orders labelled (query, document) pairs: for every query, every pair of one
 * relevant and one irrelevant document counts as correct when the relevant one scores higher (ties
 * count half). This is the pairwise form of ROC AUC per query, what reordering a query's documents
 * depends on; a head that scores at random gets 0.5.
 *
 * @param examples pairs scored
 * @param queries queries with at least one relevant and one irrelevant document
 * @param orderedPairs (relevant, irrelevant) document pairs compared
 * @param pairwiseAccuracy fraction of them ordered correctly
 */
public record RerankEvaluation(
    int examples, int queries, int orderedPairs, double pairwiseAccuracy) {

  /**
   * Scores every pair of {@code data} (documents of one query in one batch) and compares them.
   *
   * @param relevant the label of relevant pairs; every other label is irrelevant
   */
  public static RerankEvaluation run(TextScorer scorer, LabelledDataset data, String relevant) {
    Map<String, List<LabelledDataset.Example>> byQuery = new LinkedHashMap<>();
    for (LabelledDataset.Example e : data.examples()) {
      byQuery.computeIfAbsent(e.text(), k -> new ArrayList<>()).add(e);
    }
    int queries = 0;
    long compared = 0;
    double correct = 0;
    for (Map.Entry<String, List<LabelledDataset.Example>> q : byQuery.entrySet()) {
      List<Tokens> batch = new ArrayList<>();
      for (LabelledDataset.Example e : q.getValue()) {
        batch.add(scorer.tokenizePair(q.getKey(), e.document()).tokens());
      }
      float[][] scores = scorer.score(batch);
      List<Float> pos = new ArrayList<>();
      List<Float> neg = new ArrayList<>();
      for (int i = 0; i < scores.length; i++) {
        (q.getValue().get(i).label().equals(relevant) ? pos : neg).add(scores[i][0]);
      }
      if (pos.isEmpty() || neg.isEmpty()) {
        continue;
      }
      queries++;
      for (float p : pos) {
        for (float n : neg) {
          compared++;
          correct += p > n ? 1 : p == n ? 0.5 : 0;
        }
      }
    }
    return new RerankEvaluation(
        data.size(), queries, (int) compared, compared == 0 ? 0 : correct / compared);
  }

  /** The figures as the package's metrics record them. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("examples", examples);
    m.put("queries", queries);
    m.put("orderedPairs", orderedPairs);
    m.put("pairwiseAccuracy", Math.floor(pairwiseAccuracy * 1e4) / 1e4);
    return m;
  }
}
