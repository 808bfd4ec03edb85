package io.maaskit.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The inputs every benchmark uses, identical for both sides: a short input (about 12 tokens with
 * [CLS]/[SEP]), a long one (about 120 tokens) and a deterministic batch corpus of 256 inputs of 1–3
 * sentences each (roughly 12–70 tokens). Batches of 32 are the corpus' first 32 inputs.
 */
public final class Corpus {
  /** About 12 tokens. */
  public static final String SHORT = "The weather in Lisbon is mild in winter.";

  /** About 120 tokens. */
  public static final String LONG =
      "The committee met on Tuesday to review the proposal for the new community library, which would"
          + " replace the old building on Market Street. Members discussed the budget, the timeline and the"
          + " concerns raised by residents about parking and noise during construction. The architect presented"
          + " revised plans that add a reading garden, a children's wing and a small auditorium for public talks."
          + " After a long debate, the committee agreed to hold two more public hearings before the final vote,"
          + " and asked the city's finance office to prepare a detailed estimate of running costs for the first"
          + " five years.";

  /** Size of the largest batch. */
  public static final int MAX_BATCH = 256;

  private static final List<String> BATCH = build();

  private Corpus() {}

  /** The first {@code n} inputs of the batch corpus ({@code n <= 256}). */
  public static List<String> batch(int n) {
    if (n < 1 || n > MAX_BATCH) {
      throw new IllegalArgumentException("batch size must be in [1, " + MAX_BATCH + "], got " + n);
    }
    return BATCH.subList(0, n);
  }

  /** The single-input text for a length name: {@code short} or {@code long}. */
  public static String single(String length) {
    return switch (length) {
      case "short" -> SHORT;
      case "long" -> LONG;
      default -> throw new IllegalArgumentException("length must be short or long, not " + length);
    };
  }

  private static List<String> build() {
    List<String> sentences = sentences();
    int n = sentences.size();
    List<String> out = new ArrayList<>(MAX_BATCH);
    for (int i = 0; i < MAX_BATCH; i++) {
      int parts = 1 + (i % 3);
      StringBuilder sb = new StringBuilder();
      for (int p = 0; p < parts; p++) {
        if (p > 0) {
          sb.append(' ');
        }
        sb.append(sentences.get((i * 7 + p * 13) % n));
      }
      out.add(sb.toString());
    }
    return List.copyOf(out);
  }

  private static List<String> sentences() {
    try (InputStream in = Corpus.class.getResourceAsStream("sentences.txt")) {
      if (in == null) {
        throw new IllegalStateException("sentences.txt is missing from the bench jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .map(String::strip)
          .filter(s -> !s.isEmpty())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
