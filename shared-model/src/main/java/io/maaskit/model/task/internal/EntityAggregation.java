package io.maaskit.model.task.internal;

import io.maaskit.model.task.AggregationStrategy;
import io.maaskit.model.task.Entity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Hugging Face's {@code TokenClassificationPipeline} post-processing, written from its documented
 * behaviour: per token a softmax over the labels; {@code none} keeps each token's best label;
 * {@code first}/{@code average}/{@code max} merge a word's sub-word tokens first; every strategy
 * but {@code none} then groups adjacent predictions of one type ({@code B-X} opens a group, {@code
 * I-X} or a bare {@code X} extends one of type {@code X}); ignored labels ({@code O}) are dropped
 * last; the entities of overlapping windows are merged keeping, of two overlapping ones, the
 * longer, then the higher scored.
 */
public final class EntityAggregation {
  private EntityAggregation() {}

  /**
   * One non-special token of a window and its label distribution.
   *
   * @param word the token's surface ({@code ##ing}), or its text when it is the unknown token
   * @param start first character in the text
   * @param end one past the last
   * @param index position in the window's sequence ({@code [CLS]} is 0)
   * @param subword whether it continues the word of the token before it
   * @param scores probabilities in label order
   */
  public record Token(
      String word, int start, int end, int index, boolean subword, double[] scores) {}

  /** Softmax of one token's logits, in double precision. */
  public static double[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] p = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.exp(logits[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /**
   * The entities of one window's tokens.
   *
   * @param decode the tokenizer's tokens-to-text (for a merged word's or a group's {@code word})
   */
  public static List<Entity> window(
      List<Token> tokens,
      List<String> labels,
      AggregationStrategy strategy,
      Set<String> ignore,
      Function<List<String>, String> decode) {
    List<Entity> entities = new ArrayList<>();
    if (strategy == AggregationStrategy.NONE || strategy == AggregationStrategy.SIMPLE) {
      for (Token t : tokens) {
        int best = argmax(t.scores());
        entities.add(
            new Entity(
                labels.get(best),
                (float) t.scores()[best],
                t.index(),
                t.word(),
                t.start(),
                t.end(),
                false));
      }
    } else {
      List<Token> word = new ArrayList<>();
      for (Token t : tokens) {
        if (!word.isEmpty() && !t.subword()) {
          entities.add(word(word, labels, strategy, decode));
          word.clear();
        }
        word.add(t);
      }
      if (!word.isEmpty()) {
        entities.add(word(word, labels, strategy, decode));
      }
    }
    if (strategy != AggregationStrategy.NONE) {
      entities = group(entities, decode);
    }
    return entities.stream().filter(e -> !ignore.contains(e.label())).toList();
  }

  /** One word's tokens merged into one prediction ({@code aggregate_word}). */
  private static Entity word(
      List<Token> tokens,
      List<String> labels,
      AggregationStrategy strategy,
      Function<List<String>, String> decode) {
    double[] scores;
    switch (strategy) {
      case FIRST -> scores = tokens.get(0).scores();
      case MAX -> {
        Token top = tokens.get(0);
        for (Token t : tokens) {
          if (t.scores()[argmax(t.scores())] > top.scores()[argmax(top.scores())]) {
            top = t;
          }
        }
        scores = top.scores();
      }
      case AVERAGE -> {
        scores = new double[labels.size()];
        for (Token t : tokens) {
          for (int j = 0; j < scores.length; j++) {
            scores[j] += t.scores()[j] / tokens.size();
          }
        }
      }
      default -> throw new IllegalArgumentException("not a word strategy: " + strategy);
    }
    int best = argmax(scores);
    return new Entity(
        labels.get(best),
        (float) scores[best],
        null,
        decode.apply(tokens.stream().map(Token::word).toList()),
        tokens.get(0).start(),
        tokens.get(tokens.size() - 1).end(),
        false);
  }

  /** Adjacent predictions of one type as one entity ({@code group_entities}). */
  private static List<Entity> group(List<Entity> entities, Function<List<String>, String> decode) {
    List<Entity> groups = new ArrayList<>();
    List<Entity> current = new ArrayList<>();
    for (Entity e : entities) {
      if (!current.isEmpty()) {
        String[] tag = tag(e.label());
        String[] last = tag(current.get(current.size() - 1).label());
        if (!tag[1].equals(last[1]) || tag[0].equals("B")) {
          groups.add(groupOf(current, decode));
          current = new ArrayList<>();
        }
      }
      current.add(e);
    }
    if (!current.isEmpty()) {
      groups.add(groupOf(current, decode));
    }
    return groups;
  }

  private static Entity groupOf(List<Entity> members, Function<List<String>, String> decode) {
    double sum = 0;
    for (Entity m : members) {
      sum += m.score();
    }
    return new Entity(
        tag(members.get(0).label())[1],
        (float) (sum / members.size()),
        null,
        decode.apply(members.stream().map(Entity::word).toList()),
        members.get(0).start(),
        members.get(members.size() - 1).end(),
        true);
  }

  /** {@code B-PER} → {B, PER}; {@code I-PER} → {I, PER}; anything else {@code X} → {I, X}. */
  private static String[] tag(String label) {
    if (label.startsWith("B-")) {
      return new String[] {"B", label.substring(2)};
    }
    if (label.startsWith("I-")) {
      return new String[] {"I", label.substring(2)};
    }
    return new String[] {"I", label};
  }

  /**
   * The entities of all windows of one text: sorted by start; of two that overlap, the longer is
   * kept, or at equal length the higher scored ({@code aggregate_overlapping_entities}).
   */
  public static List<Entity> mergeWindows(List<Entity> entities) {
    if (entities.isEmpty()) {
      return entities;
    }
    List<Entity> sorted = new ArrayList<>(entities);
    sorted.sort(Comparator.comparingInt(Entity::start));
    List<Entity> out = new ArrayList<>();
    Entity previous = sorted.get(0);
    for (Entity e : sorted) {
      if (previous.start() <= e.start() && e.start() < previous.end()) {
        int length = e.end() - e.start();
        int previousLength = previous.end() - previous.start();
        if (length > previousLength || (length == previousLength && e.score() > previous.score())) {
          previous = e;
        }
      } else {
        out.add(previous);
        previous = e;
      }
    }
    out.add(previous);
    return out;
  }

  static int argmax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
