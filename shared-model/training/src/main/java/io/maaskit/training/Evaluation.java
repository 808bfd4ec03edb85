package io.maaskit.training;

import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.ClassificationService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a classifier does on a labelled dataset: accuracy, per-label precision / recall / F1, and the
 * confusion matrix (rows: actual label, columns: predicted label).
 *
 * <pre>{@code
 * Evaluation e = Evaluation.run(classifier, LabelledDataset.read(src, "eval.jsonl"), TrainingProgress.NONE);
 * System.out.println(e.report("spam"));
 * }</pre>
 */
public final class Evaluation {
  /** Texts classified per call, so progress shows and memory stays flat. */
  static final int CHUNK = 128;

  private final List<String> labels;
  private final long[][] confusion;

  private Evaluation(List<String> labels, long[][] confusion) {
    this.labels = List.copyOf(labels);
    this.confusion = confusion;
  }

  /** From actual and predicted label indices into {@code labels}. */
  public static Evaluation of(List<String> labels, int[] actual, int[] predicted) {
    if (actual.length != predicted.length) {
      throw new IllegalArgumentException("actual and predicted differ in length");
    }
    long[][] c = new long[labels.size()][labels.size()];
    for (int i = 0; i < actual.length; i++) {
      c[actual[i]][predicted[i]]++;
    }
    return new Evaluation(labels, c);
  }

  /**
   * Classifies every example of {@code data} and scores the most probable label.
   *
   * @throws InvalidRequestException if the data has a label the model does not know
   */
  public static Evaluation run(
      TextClassifier model, LabelledDataset data, TrainingProgress progress) {
    List<String> labels = model.labels();
    int[] actual = data.labelIds(labels);
    int[] predicted = new int[actual.length];
    List<String> texts = data.texts();
    // Similar lengths together: less padding per batch.
    Integer[] order = new Integer[texts.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> texts.get(i).length()));
    for (int start = 0; start < order.length; start += CHUNK) {
      int end = Math.min(order.length, start + CHUNK);
      List<String> chunk = new ArrayList<>(end - start);
      for (int i = start; i < end; i++) {
        chunk.add(texts.get(order[i]));
      }
      float[][] probs = ClassificationService.probabilities(model, chunk);
      for (int i = start; i < end; i++) {
        predicted[order[i]] = argmax(probs[i - start]);
      }
      progress.phase("evaluating on " + data.location(), end, order.length);
    }
    return of(labels, actual, predicted);
  }

  static int argmax(float[] p) {
    int best = 0;
    for (int j = 1; j < p.length; j++) {
      if (p[j] > p[best]) {
        best = j;
      }
    }
    return best;
  }

  /** Label order of the matrix. */
  public List<String> labels() {
    return labels;
  }

  /** {@code [actual][predicted]} counts (a copy). */
  public long[][] confusion() {
    long[][] c = new long[confusion.length][];
    for (int i = 0; i < c.length; i++) {
      c[i] = confusion[i].clone();
    }
    return c;
  }

  /** Examples scored. */
  public long examples() {
    long n = 0;
    for (long[] row : confusion) {
      for (long v : row) {
        n += v;
      }
    }
    return n;
  }

  /** Share of examples whose most probable label is right. */
  public double accuracy() {
    long right = 0;
    for (int i = 0; i < confusion.length; i++) {
      right += confusion[i][i];
    }
    long n = examples();
    return n == 0 ? 0 : (double) right / n;
  }

  /** Of the examples predicted as {@code label}, the share that are. */
  public double precision(String label) {
    int j = index(label);
    long predicted = 0;
    for (long[] row : confusion) {
      predicted += row[j];
    }
    return predicted == 0 ? 0 : (double) confusion[j][j] / predicted;
  }

  /** Of the examples that are {@code label}, the share predicted as such. */
  public double recall(String label) {
    int j = index(label);
    long actual = 0;
    for (long v : confusion[j]) {
      actual += v;
    }
    return actual == 0 ? 0 : (double) confusion[j][j] / actual;
  }

  /** Harmonic mean of precision and recall of {@code label}. */
  public double f1(String label) {
    double p = precision(label);
    double r = recall(label);
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }

  /** Mean F1 over labels. */
  public double macroF1() {
    return labels.stream().mapToDouble(this::f1).average().orElse(0);
  }

  private int index(String label) {
    int j = labels.indexOf(label);
    if (j < 0) {
      throw new InvalidRequestException(
          "label '" + label + "' is not one of the model's labels " + labels);
    }
    return j;
  }

  /**
   * The numbers as a JSON-ready map (for the manifest's metrics).
   *
   * @param positiveLabel its F1 is reported as {@code f1}; null to omit
   */
  public Map<String, Object> toMap(String positiveLabel) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("examples", examples());
    m.put("accuracy", round(accuracy()));
    if (positiveLabel != null) {
      m.put("positiveLabel", positiveLabel);
      m.put("f1", round(f1(positiveLabel)));
    }
    m.put("macroF1", round(macroF1()));
    Map<String, Object> per = new LinkedHashMap<>();
    for (String l : labels) {
      per.put(
          l,
          Map.of("precision", round(precision(l)), "recall", round(recall(l)), "f1", round(f1(l))));
    }
    m.put("perLabel", per);
    Map<String, Object> cm = new LinkedHashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      Map<String, Long> row = new LinkedHashMap<>();
      for (int j = 0; j < labels.size(); j++) {
        row.put(labels.get(j), confusion[i][j]);
      }
      cm.put(labels.get(i), row);
    }
    m.put("confusion", cm);
    return m;
  }

  /**
   * A printable report: accuracy, the positive label's F1, a per-label table and the confusion
   * matrix.
   */
  public String report(String positiveLabel) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("examples   %d%n", examples()));
    sb.append(String.format("accuracy   %.4f%n", accuracy()));
    if (positiveLabel != null) {
      sb.append(String.format("F1(%s)  %.4f%n", positiveLabel, f1(positiveLabel)));
    }
    sb.append(String.format("macro F1   %.4f%n%n", macroF1()));
    int w = Math.max(9, labels.stream().mapToInt(String::length).max().orElse(5) + 2);
    sb.append(
        String.format(
            "%-" + w + "s %9s %9s %9s %9s%n", "label", "precision", "recall", "f1", "support"));
    for (int i = 0; i < labels.size(); i++) {
      String l = labels.get(i);
      long support = 0;
      for (long v : confusion[i]) {
        support += v;
      }
      sb.append(
          String.format(
              "%-" + w + "s %9.4f %9.4f %9.4f %9d%n", l, precision(l), recall(l), f1(l), support));
    }
    sb.append(String.format("%nconfusion matrix (rows: actual, columns: predicted)%n"));
    sb.append(String.format("%-" + w + "s", ""));
    for (String l : labels) {
      sb.append(String.format(" %" + w + "s", l));
    }
    sb.append(System.lineSeparator());
    for (int i = 0; i < labels.size(); i++) {
      sb.append(String.format("%-" + w + "s", labels.get(i)));
      for (int j = 0; j < labels.size(); j++) {
        sb.append(String.format(" %" + w + "d", confusion[i][j]));
      }
      sb.append(System.lineSeparator());
    }
    return sb.toString();
  }

  static double round(double v) {
    return Math.round(v * 1e6) / 1e6;
  }
}
