package io.maaskit.training;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.error.InvalidRequestException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Labelled texts read from JSONL: one object per line with a string {@code text} and a string
 * {@code label} (other fields, such as {@code source} or {@code id}, are ignored; blank lines are
 * skipped). Labels are ordered alphabetically, which fixes the classifier's output order.
 *
 * <p>A reranker's data are labelled pairs instead: {@code {"query": "...", "document": "...",
 * "label": 1}} with labels {@code 1} (relevant) and {@code 0} (numbers or strings); a file is all
 * pairs or all texts.
 *
 * <pre>{@code
 * LabelledDataset data = LabelledDataset.read(DatasetSource.local(), "train.jsonl").requireTrainable();
 * LabelledDataset.Split split = data.split(0.1, 42);
 * }</pre>
 */
public final class LabelledDataset {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /**
   * One example and the line it came from (1-based; 0 for examples built in memory).
   *
   * @param text the text, or a pair's query
   * @param document a pair's document; null for a text
   */
  public record Example(String text, String label, int line, String document) {
    /** A text example. */
    public Example(String text, String label, int line) {
      this(text, label, line, null);
    }
  }

  /** A stratified split: each label is divided in the same proportion. */
  public record Split(LabelledDataset train, LabelledDataset validation) {}

  private final String location;
  private final List<Example> examples;
  private final List<String> labels;

  private LabelledDataset(String location, List<Example> examples) {
    this.location = location;
    this.examples = List.copyOf(examples);
    this.labels = List.copyOf(new TreeMap<>(countsOf(examples)).keySet());
  }

  /** A dataset from examples in memory ({@code location} is named in messages). */
  public static LabelledDataset of(String location, List<Example> examples) {
    return new LabelledDataset(location, examples);
  }

  /**
   * Reads a JSONL dataset.
   *
   * @throws DatasetFormatException naming the line of the first unusable line
   * @throws java.nio.file.NoSuchFileException if the location does not exist
   */
  public static LabelledDataset read(DatasetSource source, String location) throws IOException {
    try (InputStream in = source.open(location)) {
      return read(in, location);
    }
  }

  /** Reads JSONL from a stream; {@code location} is named in messages. */
  public static LabelledDataset read(InputStream in, String location) throws IOException {
    List<Example> out = new ArrayList<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String line;
    int n = 0;
    while ((line = r.readLine()) != null) {
      n++;
      if (n == 1 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      if (line.isBlank()) {
        continue;
      }
      Example e = parseLine(line, location, n);
      if (!out.isEmpty() && (out.get(0).document() == null) != (e.document() == null)) {
        throw new DatasetFormatException(
            location,
            n,
            "mixes query/document pairs and texts: a file is all {\"query\", \"document\","
                + " \"label\"} pairs (a reranker's data) or all {\"text\", \"label\"} texts");
      }
      out.add(e);
    }
    return new LabelledDataset(location, out);
  }

  private static Example parseLine(String line, String location, int n)
      throws DatasetFormatException {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new DatasetFormatException(
          location,
          n,
          "not valid JSON ("
              + e.getOriginalMessage()
              + "); expected one object per line like {\"text\": \"...\", \"label\": \"...\"}");
    }
    if (node == null || !node.isObject()) {
      throw new DatasetFormatException(
          location,
          n,
          "expected a JSON object like {\"text\": \"...\", \"label\": \"...\"}, got "
              + (node == null ? "nothing" : TrainingJson.kind(node)));
    }
    if (node.has("query")) {
      String query = field(node, "query", location, n);
      String document = field(node, "document", location, n);
      JsonNode l = node.get("label");
      if (l != null && (l.isInt() || l.isLong()) && (l.asLong() == 0 || l.asLong() == 1)) {
        return new Example(query, Long.toString(l.asLong()), n, document);
      }
      String label = field(node, "label", location, n);
      if (!label.equals("0") && !label.equals("1")) {
        throw new DatasetFormatException(
            location,
            n,
            "a pair's \"label\" is 1 (relevant) or 0 (not relevant), got '" + label + "'");
      }
      return new Example(query, label, n, document);
    }
    String text = field(node, "text", location, n);
    String label = field(node, "label", location, n);
    return new Example(text, label, n);
  }

  private static String field(JsonNode node, String name, String location, int n)
      throws DatasetFormatException {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      throw new DatasetFormatException(location, n, "missing \"" + name + "\" field");
    }
    if (!v.isTextual()) {
      throw new DatasetFormatException(
          location,
          n,
          "\""
              + name
              + "\" must be a string, got "
              + TrainingJson.kind(v)
              + ("label".equals(name) ? " (write labels as names, e.g. \"spam\")" : ""));
    }
    if (v.textValue().isBlank()) {
      throw new DatasetFormatException(location, n, "\"" + name + "\" is empty");
    }
    return v.textValue();
  }

  /**
   * Checks that a classifier can learn from this dataset.
   *
   * @throws InvalidRequestException if it has no examples or only one label
   */
  public LabelledDataset requireTrainable() {
    if (examples.isEmpty()) {
      throw new InvalidRequestException(
          "dataset "
              + location
              + " has no examples: expected one JSON object per line"
              + " like {\"text\": \"...\", \"label\": \"...\"}");
    }
    if (labels.size() < 2) {
      throw new InvalidRequestException(
          "dataset "
              + location
              + " has only one label ('"
              + labels.get(0)
              + "', "
              + examples.size()
              + " examples): a classifier needs examples of at least two labels");
    }
    return this;
  }

  /**
   * Splits each label's examples with a seeded shuffle: {@code round(n × fraction)} of them (at
   * least one, and never all, for labels with two or more examples) go to validation. The same seed
   * gives the same split.
   *
   * @throws InvalidRequestException if no example can be held out
   */
  public Split split(double fraction, long seed) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new InvalidRequestException(
          "validation fraction must be strictly between 0 and 1, got " + fraction);
    }
    Map<String, List<Integer>> byLabel = new TreeMap<>();
    for (int i = 0; i < examples.size(); i++) {
      byLabel.computeIfAbsent(examples.get(i).label(), k -> new ArrayList<>()).add(i);
    }
    Random rng = new Random(seed);
    List<Integer> train = new ArrayList<>();
    List<Integer> val = new ArrayList<>();
    for (List<Integer> idx : byLabel.values()) {
      Collections.shuffle(idx, rng);
      int n = idx.size();
      int k = n < 2 ? 0 : (int) Math.max(1, Math.min(n - 1, Math.round(n * fraction)));
      val.addAll(idx.subList(0, k));
      train.addAll(idx.subList(k, n));
    }
    if (val.isEmpty()) {
      throw new InvalidRequestException(
          "dataset "
              + location
              + " is too small to hold out a validation split:"
              + " give at least two examples of a label");
    }
    Collections.sort(train);
    Collections.sort(val);
    return new Split(
        subset(location + " (train split)", train), subset(location + " (validation split)", val));
  }

  private LabelledDataset subset(String name, List<Integer> rows) {
    List<Example> out = new ArrayList<>(rows.size());
    for (int i : rows) {
      out.add(examples.get(i));
    }
    return new LabelledDataset(name, out);
  }

  /** Where the data came from. */
  public String location() {
    return location;
  }

  /** The examples in file order. */
  public List<Example> examples() {
    return examples;
  }

  /** Number of examples. */
  public int size() {
    return examples.size();
  }

  /** The distinct labels, sorted. */
  public List<String> labels() {
    return labels;
  }

  /** Examples per label, sorted by label. */
  public Map<String, Integer> counts() {
    return new TreeMap<>(countsOf(examples));
  }

  /** Whether the examples are (query, document) pairs: a reranker's data. */
  public boolean pairs() {
    return !examples.isEmpty() && examples.get(0).document() != null;
  }

  /** The pairs' documents in order (nulls for texts). */
  public List<String> documents() {
    return examples.stream().map(Example::document).toList();
  }

  /** The texts in order. */
  public List<String> texts() {
    return examples.stream().map(Example::text).toList();
  }

  /**
   * Each example's label as an index into {@code order}.
   *
   * @throws InvalidRequestException naming the line of a label {@code order} lacks
   */
  public int[] labelIds(List<String> order) {
    int[] out = new int[examples.size()];
    for (int i = 0; i < out.length; i++) {
      Example e = examples.get(i);
      int id = order.indexOf(e.label());
      if (id < 0) {
        throw new InvalidRequestException(
            "dataset "
                + location
                + (e.line() > 0 ? " line " + e.line() : "")
                + " has label '"
                + e.label()
                + "', which is not one of the model's labels "
                + order);
      }
      out[i] = id;
    }
    return out;
  }

  private static Map<String, Integer> countsOf(List<Example> examples) {
    Map<String, Integer> m = new TreeMap<>();
    for (Example e : examples) {
      m.merge(e.label(), 1, Integer::sum);
    }
    return m;
  }
}
