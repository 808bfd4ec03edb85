package io.maaskit.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A byte-level BPE vocabulary for the benchmark's random checkpoint, trained on the bench corpus,
 * and its own (third, independent) encoder of the benchmark prompts.
 *
 * <p>Merges only join lowercase letters (the left part may start with {@code Ġ}, the byte-level
 * spelling of a space), so no merge can span a pre-tokenizer boundary: a text of lowercase words
 * and single spaces tokenizes the same under Hugging Face's GPT-2 regex split and under a tokenizer
 * that applies the merges to the whole text (Jlama's). {@link #encode} gives the ids both sides
 * must produce; the harness checks that they do.
 *
 * <p>Ids: 0-2 special tokens, 3-258 the 256 bytes, then the merges in rank order, then unreachable
 * filler tokens up to the model's vocabulary size (a random model may generate them; they decode to
 * plain text).
 */
final class ByteLevelBpe {
  static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
  static final int FIRST_BYTE_ID = SPECIALS.size();
  private static final Pattern WORD = Pattern.compile("[a-z]+");

  /** GPT-2's printable stand-ins for the 256 byte values. */
  static final char[] BYTE_CHARS = byteChars();

  final List<String[]> merges = new ArrayList<>();
  final Map<String, Integer> vocab = new LinkedHashMap<>();
  private final Map<String, Integer> rank = new HashMap<>();

  private ByteLevelBpe() {}

  /**
   * Trains at most {@code maxMerges} merges on the lowercase words of {@code corpus}, then fills
   * the vocabulary to {@code vocabSize} ids.
   */
  static ByteLevelBpe train(List<String> corpus, int maxMerges, int vocabSize) {
    ByteLevelBpe bpe = new ByteLevelBpe();
    for (String s : SPECIALS) {
      bpe.vocab.put(s, bpe.vocab.size());
    }
    for (char c : BYTE_CHARS) {
      bpe.vocab.put(String.valueOf(c), bpe.vocab.size());
    }
    // Word -> count, every word as the regex split sees it after a space: "Ġword".
    Map<String, Integer> words = new TreeMap<>();
    for (String text : corpus) {
      Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
      while (m.find()) {
        words.merge(BYTE_CHARS[' '] + m.group(), 1, Integer::sum);
      }
    }
    List<List<String>> symbols = new ArrayList<>();
    List<Integer> counts = new ArrayList<>();
    for (var e : words.entrySet()) {
      List<String> w = new ArrayList<>();
      e.getKey().chars().forEach(c -> w.add(String.valueOf((char) c)));
      symbols.add(w);
      counts.add(e.getValue());
    }
    while (bpe.merges.size() < maxMerges) {
      Map<String, Integer> pairs = new TreeMap<>();
      for (int i = 0; i < symbols.size(); i++) {
        List<String> w = symbols.get(i);
        for (int j = 0; j + 1 < w.size(); j++) {
          pairs.merge(w.get(j) + " " + w.get(j + 1), counts.get(i), Integer::sum);
        }
      }
      String best = null;
      int bestCount = 1;
      for (var e : pairs.entrySet()) { // TreeMap order: ties go to the lexicographically first
        if (e.getValue() > bestCount) {
          best = e.getKey();
          bestCount = e.getValue();
        }
      }
      if (best == null) {
        break;
      }
      String[] pair = best.split(" ");
      String joined = pair[0] + pair[1];
      bpe.rank.put(best, bpe.merges.size());
      bpe.merges.add(pair);
      bpe.vocab.putIfAbsent(joined, bpe.vocab.size());
      for (List<String> w : symbols) {
        mergeAll(w, pair[0], pair[1]);
      }
    }
    // Fillers contain digits, which no merge produces, so they never collide with a merge.
    int filler = 0;
    while (bpe.vocab.size() < vocabSize) {
      bpe.vocab.putIfAbsent(BYTE_CHARS[' '] + "tok" + filler++, bpe.vocab.size());
    }
    return bpe;
  }

  private static void mergeAll(List<String> w, String a, String b) {
    for (int j = 0; j + 1 < w.size(); j++) {
      if (w.get(j).equals(a) && w.get(j + 1).equals(b)) {
        w.set(j, a + b);
        w.remove(j + 1);
      }
    }
  }

  /**
   * Ids of a text of lowercase ASCII words separated by single spaces (what the benchmark prompts
   * are), without special tokens.
   */
  int[] encode(String text) {
    if (!text.matches("[a-z]+( [a-z]+)*")) {
      throw new IllegalArgumentException("benchmark prompts are lowercase words and single spaces");
    }
    List<Integer> ids = new ArrayList<>();
    boolean first = true;
    for (String word : text.split(" ")) {
      String piece = (first ? "" : String.valueOf(BYTE_CHARS[' '])) + word;
      first = false;
      List<String> w = new ArrayList<>();
      piece.chars().forEach(c -> w.add(String.valueOf((char) c)));
      while (w.size() > 1) {
        int best = -1;
        int bestRank = Integer.MAX_VALUE;
        for (int j = 0; j + 1 < w.size(); j++) {
          Integer r = rank.get(w.get(j) + " " + w.get(j + 1));
          if (r != null && r < bestRank) {
            bestRank = r;
            best = j;
          }
        }
        if (best < 0) {
          break;
        }
        String[] pair = merges.get(bestRank);
        mergeAll(w, pair[0], pair[1]);
      }
      for (String s : w) {
        ids.add(vocab.get(s));
      }
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * A prompt of lowercase words from {@code corpus} that encodes to exactly {@code tokens} ids
   * (padded with single-letter words when the last word overshoots).
   */
  String prompt(List<String> corpus, int tokens) {
    StringBuilder sb = new StringBuilder();
    for (int round = 0; ; round++) {
      for (String text : corpus) {
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
          String next = sb.isEmpty() ? m.group() : sb + " " + m.group();
          int n = encode(next).length;
          if (n == tokens) {
            return next;
          }
          if (n > tokens) {
            // Close the gap with one-token words ("a" is a byte token after a space... or a merge).
            String s = sb.toString();
            while (encode(s).length < tokens) {
              s = s + " a";
            }
            if (encode(s).length == tokens) {
              return s;
            }
            throw new IllegalStateException("could not build a prompt of " + tokens + " tokens");
          }
          sb.setLength(0);
          sb.append(next);
        }
      }
      if (round > 100) {
        throw new IllegalStateException("corpus too small for a prompt of " + tokens + " tokens");
      }
    }
  }

  /** The {@code tokenizer.json} of this vocabulary (Hugging Face tokenizers' format). */
  Map<String, Object> tokenizerJson() {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("version", "1.0");
    t.put("truncation", null);
    t.put("padding", null);
    List<Map<String, Object>> added = new ArrayList<>();
    for (int i = 0; i < SPECIALS.size(); i++) {
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("id", i);
      a.put("content", SPECIALS.get(i));
      a.put("single_word", false);
      a.put("lstrip", false);
      a.put("rstrip", false);
      a.put("normalized", false);
      a.put("special", true);
      added.add(a);
    }
    t.put("added_tokens", added);
    t.put("normalizer", null);
    Map<String, Object> byteLevel = new LinkedHashMap<>();
    byteLevel.put("type", "ByteLevel");
    byteLevel.put("add_prefix_space", false);
    byteLevel.put("trim_offsets", true);
    byteLevel.put("use_regex", true);
    // A Sequence, as SmolLM2's own tokenizer.json has it (Jlama only treats a nested ByteLevel as
    // byte-level).
    t.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(byteLevel)));
    t.put("post_processor", byteLevel);
    t.put("decoder", byteLevel);
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", null);
    model.put("continuing_subword_prefix", null);
    model.put("end_of_word_suffix", null);
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("vocab", vocab);
    model.put("merges", merges.stream().map(p -> p[0] + " " + p[1]).toList());
    t.put("model", model);
    return t;
  }

  private static char[] byteChars() {
    char[] out = new char[256];
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      out[b] = printable ? (char) b : (char) (256 + n++);
    }
    return out;
  }

  @Override
  public String toString() {
    return "ByteLevelBpe[" + merges.size() + " merges, " + vocab.size() + " ids]";
  }
}
