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
import java.util.TreeSet;

/**
 * Token-tagged sentences read from JSONL, a token classifier's training data: one object per line
 * with {@code tokens} (the sentence's words, none containing whitespace) and {@code tags} (one
 * label per word, typically IOB2: {@code O}, {@code B-PER}, {@code I-PER}, ...), as Hugging Face's
 * token-classification datasets hold them (with the tags as names, not ids).
 *
 * <pre>{@code
 * {"tokens": ["Anna", "lives", "in", "Oslo", "."], "tags": ["B-PER", "O", "O", "B-LOC", "O"]}
 * }</pre>
 *
 * <p>The labels are {@code O} first (when present), then the others alphabetically: the order of
 * the trained head's columns.
 */
public final class TaggedDataset {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** The tag of a word outside every entity. */
  public static final String OUTSIDE = "O";

  /**
   * One sentence and the line it came from (1-based; 0 for sentences built in memory).
   *
   * @param tokens the words
   * @param tags one tag per word
   */
  public record Sentence(List<String> tokens, List<String> tags, int line) {
    public Sentence {
      tokens = List.copyOf(tokens);
      tags = List.copyOf(tags);
    }

    /** The words joined by single spaces: the text the model reads. */
    public String text() {
      return String.join(" ", tokens);
    }
  }

  /** A split by sentence: training and validation. */
  public record Split(TaggedDataset train, TaggedDataset validation) {}

  private final String location;
  private final List<Sentence> sentences;
  private final List<String> labels;

  private TaggedDataset(String location, List<Sentence> sentences) {
    this.location = location;
    this.sentences = List.copyOf(sentences);
    TreeSet<String> tags = new TreeSet<>();
    sentences.forEach(s -> tags.addAll(s.tags()));
    List<String> order = new ArrayList<>();
    if (tags.remove(OUTSIDE)) {
      order.add(OUTSIDE);
    }
    order.addAll(tags);
    this.labels = List.copyOf(order);
  }

  /** A dataset from sentences in memory ({@code location} is named in messages). */
  public static TaggedDataset of(String location, List<Sentence> sentences) {
    return new TaggedDataset(location, sentences);
  }

  /**
   * Whether the first non-blank line of the data is a tagged sentence (has {@code tokens}), so the
   * job trains a token classifier rather than a text classifier.
   */
  public static boolean isTagged(DatasetSource source, String location) throws IOException {
    try (InputStream in = source.open(location)) {
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
        if (!line.isBlank()) {
          try {
            JsonNode n = JSON.readTree(line);
            return n != null && n.isObject() && n.has("tokens");
          } catch (JsonProcessingException e) {
            return false; // the text reader names the line
          }
        }
      }
      return false;
    }
  }

  /**
   * Reads a JSONL dataset.
   *
   * @throws DatasetFormatException naming the line of the first unusable line
   */
  public static TaggedDataset read(DatasetSource source, String location) throws IOException {
    try (InputStream in = source.open(location)) {
      return read(in, location);
    }
  }

  /** Reads JSONL from a stream; {@code location} is named in messages. */
  public static TaggedDataset read(InputStream in, String location) throws IOException {
    List<Sentence> out = new ArrayList<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String line;
    int n = 0;
    while ((line = r.readLine()) != null) {
      n++;
      if (n == 1 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      if (!line.isBlank()) {
        out.add(parseLine(line, location, n));
      }
    }
    return new TaggedDataset(location, out);
  }

  private static Sentence parseLine(String line, String location, int n)
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
              + "); expected one object per line like {\"tokens\": [...], \"tags\": [...]}");
    }
    if (node == null || !node.isObject()) {
      throw new DatasetFormatException(
          location,
          n,
          "expected a JSON object like {\"tokens\": [...], \"tags\": [...]}, got "
              + (node == null ? "nothing" : TrainingJson.kind(node)));
    }
    List<String> tokens = strings(node, "tokens", location, n);
    List<String> tags = strings(node, "tags", location, n);
    if (tokens.isEmpty()) {
      throw new DatasetFormatException(location, n, "\"tokens\" is empty");
    }
    if (tokens.size() != tags.size()) {
      throw new DatasetFormatException(
          location,
          n,
          "has " + tokens.size() + " tokens but " + tags.size() + " tags: give one tag per token");
    }
    for (String t : tokens) {
      if (t.isEmpty() || t.codePoints().anyMatch(Character::isWhitespace)) {
        throw new DatasetFormatException(
            location, n, "token '" + t + "' is empty or holds whitespace: a token is one word");
      }
    }
    return new Sentence(tokens, tags, n);
  }

  private static List<String> strings(JsonNode node, String name, String location, int n)
      throws DatasetFormatException {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      throw new DatasetFormatException(location, n, "missing \"" + name + "\" field");
    }
    if (!v.isArray()) {
      throw new DatasetFormatException(
          location, n, "\"" + name + "\" must be an array of strings, got " + TrainingJson.kind(v));
    }
    List<String> out = new ArrayList<>(v.size());
    for (JsonNode e : v) {
      if (!e.isTextual() || e.textValue().isBlank()) {
        throw new DatasetFormatException(
            location,
            n,
            "\""
                + name
                + "\" must hold non-empty strings, got "
                + TrainingJson.kind(e)
                + ("tags".equals(name) ? " (write tags as names, e.g. \"B-PER\")" : ""));
      }
      out.add(e.textValue());
    }
    return out;
  }

  /**
   * Checks that a token classifier can learn from this dataset.
   *
   * @throws InvalidRequestException if it has no sentences or only one tag
   */
  public TaggedDataset requireTrainable() {
    if (sentences.isEmpty()) {
      throw new InvalidRequestException(
          "dataset "
              + location
              + " has no sentences: expected one JSON object per line"
              + " like {\"tokens\": [...], \"tags\": [...]}");
    }
    if (labels.size() < 2) {
      throw new InvalidRequestException(
          "dataset "
              + location
              + " has only one tag ('"
              + labels.get(0)
              + "'): a token classifier needs at least two");
    }
    return this;
  }

  /**
   * Splits the sentences with a seeded shuffle: {@code round(n × fraction)} of them (at least one,
   * never all) go to validation. The same seed gives the same split.
   *
   * @throws InvalidRequestException if there are fewer than two sentences
   */
  public Split split(double fraction, long seed) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new InvalidRequestException(
          "validation fraction must be strictly between 0 and 1, got " + fraction);
    }
    int n = sentences.size();
    if (n < 2) {
      throw new InvalidRequestException(
          "dataset "
              + location
              + " is too small to hold out a validation split: give at least two"
              + " sentences");
    }
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      idx.add(i);
    }
    Collections.shuffle(idx, new Random(seed));
    int k = (int) Math.max(1, Math.min(n - 1, Math.round(n * fraction)));
    List<Integer> val = new ArrayList<>(idx.subList(0, k));
    List<Integer> train = new ArrayList<>(idx.subList(k, n));
    Collections.sort(train);
    Collections.sort(val);
    return new Split(
        subset(location + " (train split)", train), subset(location + " (validation split)", val));
  }

  private TaggedDataset subset(String name, List<Integer> rows) {
    return new TaggedDataset(name, rows.stream().map(sentences::get).toList());
  }

  /** Where the data came from. */
  public String location() {
    return location;
  }

  /** The sentences in file order. */
  public List<Sentence> sentences() {
    return sentences;
  }

  /** Number of sentences. */
  public int size() {
    return sentences.size();
  }

  /** The distinct tags: {@code O} first, then the others sorted. */
  public List<String> labels() {
    return labels;
  }

  /** Words per tag, sorted by tag. */
  public Map<String, Integer> counts() {
    Map<String, Integer> m = new TreeMap<>();
    sentences.forEach(s -> s.tags().forEach(t -> m.merge(t, 1, Integer::sum)));
    return m;
  }
}
