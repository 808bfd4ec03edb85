package io.maaskit.training;

import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.arch.Tokens;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A token classifier scored on held-out tagged sentences: each word is given the tag of its first
 * token (the word's other tokens are not read, as in training), the tags are read as IOB2 entities
 * ({@code B-X} opens an entity of type {@code X}, {@code I-X} continues it, an {@code I-X} after
 * anything but {@code X} opens one too, as CoNLL's scorer reads them), and an entity counts as
 * found only when its type and its exact span of words match. Precision, recall and F1 per type and
 * micro-averaged over all entities.
 *
 * @param sentences sentences scored
 * @param tokenAccuracy share of words whose tag is right
 * @param perType per entity type: {@code [precision, recall, f1, support]}
 * @param precision micro-averaged precision
 * @param recall micro-averaged recall
 * @param f1 micro-averaged F1
 */
public record EntityEvaluation(
    int sentences,
    double tokenAccuracy,
    Map<String, double[]> perType,
    double precision,
    double recall,
    double f1) {

  /** Sentences per forward pass. */
  static final int BATCH = 32;

  /** An entity: its type and its words {@code [start, end)}. */
  record Entity(String type, int start, int end) {}

  /** Scores {@code model} on {@code data}. */
  public static EntityEvaluation run(TokenLogits model, TaggedDataset data) {
    List<TaggedDataset.Sentence> all = data.sentences();
    List<List<String>> gold = new ArrayList<>();
    List<List<String>> predicted = new ArrayList<>();
    for (int from = 0; from < all.size(); from += BATCH) {
      List<TaggedDataset.Sentence> chunk = all.subList(from, Math.min(all.size(), from + BATCH));
      List<WordAlignment> aligned =
          chunk.stream().map(s -> WordAlignment.of(model, s, model.maxLength())).toList();
      float[][][] logits = model.tokenLogits(aligned.stream().map(WordAlignment::tokens).toList());
      for (int i = 0; i < chunk.size(); i++) {
        gold.add(chunk.get(i).tags());
        predicted.add(aligned.get(i).tags(logits[i], model.labels()));
      }
    }
    return score(gold, predicted);
  }

  /** Scores predicted tag sequences against gold ones. */
  static EntityEvaluation score(List<List<String>> gold, List<List<String>> predicted) {
    long words = 0;
    long right = 0;
    Map<String, int[]> counts = new TreeMap<>(); // type -> [true positives, predicted, gold]
    for (int i = 0; i < gold.size(); i++) {
      List<String> g = gold.get(i);
      List<String> p = predicted.get(i);
      for (int k = 0; k < g.size(); k++) {
        words++;
        right += g.get(k).equals(p.get(k)) ? 1 : 0;
      }
      Set<Entity> ge = new HashSet<>(entities(g));
      for (Entity e : ge) {
        counts.computeIfAbsent(e.type(), t -> new int[3])[2]++;
      }
      for (Entity e : entities(p)) {
        int[] c = counts.computeIfAbsent(e.type(), t -> new int[3]);
        c[1]++;
        if (ge.contains(e)) {
          c[0]++;
        }
      }
    }
    Map<String, double[]> perType = new LinkedHashMap<>();
    int tp = 0;
    int pred = 0;
    int gol = 0;
    for (Map.Entry<String, int[]> e : counts.entrySet()) {
      int[] c = e.getValue();
      tp += c[0];
      pred += c[1];
      gol += c[2];
      double pr = c[1] == 0 ? 0 : (double) c[0] / c[1];
      double rc = c[2] == 0 ? 0 : (double) c[0] / c[2];
      perType.put(e.getKey(), new double[] {pr, rc, f1(pr, rc), c[2]});
    }
    double pr = pred == 0 ? 0 : (double) tp / pred;
    double rc = gol == 0 ? 0 : (double) tp / gol;
    return new EntityEvaluation(
        gold.size(), words == 0 ? 0 : (double) right / words, perType, pr, rc, f1(pr, rc));
  }

  private static double f1(double p, double r) {
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }

  /** The IOB2 entities of one tag sequence. */
  static List<Entity> entities(List<String> tags) {
    List<Entity> out = new ArrayList<>();
    String type = null;
    int start = -1;
    for (int k = 0; k <= tags.size(); k++) {
      String tag = k < tags.size() ? tags.get(k) : TaggedDataset.OUTSIDE;
      boolean begins = tag.startsWith("B-");
      boolean inside = tag.startsWith("I-");
      String t = begins || inside ? tag.substring(2) : null;
      boolean continues = inside && t.equals(type);
      if (type != null && !continues) {
        out.add(new Entity(type, start, k));
        type = null;
      }
      if ((begins || inside) && !continues) {
        type = t;
        start = k;
      }
    }
    return out;
  }

  /** As manifest metrics. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sentences", sentences);
    m.put("tokenAccuracy", TrainingJob.round(tokenAccuracy));
    m.put("precision", TrainingJob.round(precision));
    m.put("recall", TrainingJob.round(recall));
    m.put("f1", TrainingJob.round(f1));
    Map<String, Object> types = new LinkedHashMap<>();
    perType.forEach(
        (k, v) -> {
          Map<String, Object> e = new LinkedHashMap<>();
          e.put("precision", TrainingJob.round(v[0]));
          e.put("recall", TrainingJob.round(v[1]));
          e.put("f1", TrainingJob.round(v[2]));
          e.put("support", (int) v[3]);
          types.put(k, e);
        });
    m.put("perType", types);
    return m;
  }

  /** The entity types scored. */
  public Set<String> types() {
    return new TreeSet<>(perType.keySet());
  }

  /** One sentence as the model reads it: its tokens, and each word's first token. */
  record WordAlignment(Tokens tokens, int[] firstToken) {
    /**
     * Tokenizes the sentence's text, frames it with the model's specials and truncates it to {@code
     * maxLength}; a word whose first token falls beyond the cut gets {@code -1}.
     */
    static WordAlignment of(TokenLogits model, TaggedDataset.Sentence s, int maxLength) {
      TokenLogits.Pieces p = model.pieces(s.text());
      int kept = Math.min(p.length(), Math.max(0, maxLength - 2));
      long[] ids = new long[kept + 2];
      ids[0] = model.clsId();
      System.arraycopy(p.ids(), 0, ids, 1, kept);
      ids[kept + 1] = model.sepId();
      int[] first = new int[s.tokens().size()];
      int charStart = 0;
      int piece = 0;
      for (int w = 0; w < first.length; w++) {
        int charEnd = charStart + s.tokens().get(w).length();
        while (piece < p.length() && p.ends()[piece] <= charStart) {
          piece++;
        }
        boolean inWord =
            piece < p.length() && p.starts()[piece] < charEnd && p.ends()[piece] > charStart;
        first[w] = inWord && piece < kept ? piece + 1 : -1; // +1: after [CLS]
        charStart = charEnd + 1;
      }
      return new WordAlignment(new Tokens(ids, new long[ids.length]), first);
    }

    /** Each word's tag: the best column at its first token, {@code O} where it was cut off. */
    List<String> tags(float[][] logits, List<String> labels) {
      List<String> out = new ArrayList<>(firstToken.length);
      for (int k : firstToken) {
        if (k < 0) {
          out.add(TaggedDataset.OUTSIDE);
          continue;
        }
        int best = 0;
        for (int c = 1; c < logits[k].length; c++) {
          if (logits[k][c] > logits[k][best]) {
            best = c;
          }
        }
        out.add(labels.get(best));
      }
      return out;
    }
  }
}
