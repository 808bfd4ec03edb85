package io.maaskit.model.arch.bert;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.arch.Tokens;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Tokenizer wiring: DJL's Hugging Face tokenizer built from the package's {@code tokenizer.json},
 * with the file's own padding switched off (MiniLM's bakes in fixed padding to 128) and truncation
 * at the model's maximum. Padding to the longest input of a batch happens when batching.
 *
 * <p>Work per input is bounded by the model's length, not the text's: a long text is cut to a
 * character budget before it is tokenized, and the result equals tokenizing the whole text and
 * truncating. BERT's normalizer works per character and its pre-tokenizer splits on whitespace and
 * punctuation, so cutting a text changes at most its last pre-token ("word"); when the words before
 * that one already fill {@link #maxLength()} tokens, the truncated tokens of the cut text are those
 * of the whole text. Otherwise the budget doubles (at the end: the whole text), so a text costs at
 * most about twice the characters its first {@code maxLength} tokens need.
 */
final class BertTokenization implements AutoCloseable {
  /** Characters per allowed token in the first cut; English runs at ~4-5 per token. */
  static final int CHARS_PER_TOKEN = 8;

  private final HuggingFaceTokenizer tokenizer;
  private final HuggingFaceTokenizer untruncated;
  private final int maxLength;

  BertTokenization(ByteBuffer tokenizerJson, int maxLength) throws IOException {
    byte[] bytes = new byte[tokenizerJson.remaining()];
    tokenizerJson.duplicate().get(bytes);
    this.maxLength = maxLength;
    this.tokenizer = newTokenizer(bytes, Map.of("truncation", "true"));
    try {
      this.untruncated = newTokenizer(bytes, Map.of("truncation", "false"));
    } catch (IOException | RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  private HuggingFaceTokenizer newTokenizer(byte[] json, Map<String, String> extra)
      throws IOException {
    Map<String, String> options = new java.util.HashMap<>(extra);
    options.put("padding", "false");
    options.put("maxLength", Integer.toString(maxLength));
    options.put("addSpecialTokens", "true");
    return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
  }

  int maxLength() {
    return maxLength;
  }

  /**
   * Token id of the padding token: {@code [PAD]} (BERT, DistilBERT) or {@code <pad>} (RoBERTa,
   * XLM-RoBERTa), whichever the vocabulary holds as one token; 0 when neither.
   */
  long padId() {
    for (String pad : new String[] {"[PAD]", "<pad>"}) {
      Encoding e = tokenizer.encode(pad, false, false);
      if (e.getIds().length == 1 && pad.equals(e.getTokens()[0])) {
        return e.getIds()[0];
      }
    }
    return 0L;
  }

  /**
   * {@link #encode}'s tokens with their character spans, from the same bounded prefix of {@code
   * text} (a prefix, so the spans index the original text).
   */
  Explainable.Spans spans(String text) {
    Encoding e = tokenizer.encode(bounded(text));
    int n = Math.min(e.getIds().length, maxLength);
    long[] ids = java.util.Arrays.copyOf(e.getIds(), n);
    long[] types = java.util.Arrays.copyOf(e.getTypeIds(), n);
    String[] pieces = java.util.Arrays.copyOf(e.getTokens(), n);
    long[] special = e.getSpecialTokenMask();
    long[] wordIds = e.getWordIds();
    CharSpan[] spans = e.getCharTokenSpans();
    int[] starts = new int[n];
    int[] ends = new int[n];
    int[] words = new int[n];
    boolean[] isSpecial = new boolean[n];
    for (int i = 0; i < n; i++) {
      isSpecial[i] = special[i] != 0;
      CharSpan s = spans[i];
      if (isSpecial[i] || s == null) {
        // Special tokens cover no text: an empty span where they stand ([CLS] first, [SEP] last).
        int at = i == 0 ? 0 : (i > 0 ? ends[i - 1] : 0);
        starts[i] = at;
        ends[i] = at;
        words[i] = -1;
      } else {
        starts[i] = s.getStart();
        ends[i] = s.getEnd();
        words[i] = (int) wordIds[i];
      }
    }
    return new Explainable.Spans(new Tokens(ids, types), pieces, starts, ends, words, isSpecial);
  }

  /** Id of a special token of the vocabulary ({@code [CLS]}, {@code [SEP]}, {@code [UNK]}). */
  long specialId(String token, long fallback) {
    long[] ids = tokenizer.encode(token, false, false).getIds();
    return ids.length == 1 ? ids[0] : fallback;
  }

  /**
   * All of {@code text}'s tokens, no special tokens, no truncation, with spans as indices into
   * {@code text} (the tokenizer counts code points; a text with surrogate pairs is mapped back to
   * UTF-16 indices).
   */
  TokenLogits.Pieces pieces(String text, long unkId) {
    Encoding e = untruncated.encode(text, false, false);
    long[] ids = e.getIds();
    int n = ids.length;
    CharSpan[] spans = e.getCharTokenSpans();
    long[] wordIds = e.getWordIds();
    int[] starts = new int[n];
    int[] ends = new int[n];
    int[] words = new int[n];
    boolean[] unknown = new boolean[n];
    boolean[] subword = new boolean[n];
    String[] pieces = e.getTokens();
    boolean astral = text.codePointCount(0, text.length()) != text.length();
    for (int i = 0; i < n; i++) {
      CharSpan s = spans[i];
      int a = s == null ? 0 : s.getStart();
      int b = s == null ? 0 : s.getEnd();
      starts[i] = astral ? text.offsetByCodePoints(0, a) : a;
      ends[i] = astral ? text.offsetByCodePoints(0, b) : b;
      words[i] = (int) wordIds[i];
      unknown[i] = ids[i] == unkId;
      String ref = text.substring(starts[i], ends[i]);
      subword[i] =
          !unknown[i]
              && pieces[i].codePointCount(0, pieces[i].length())
                  != ref.codePointCount(0, ref.length());
    }
    return new TokenLogits.Pieces(ids, pieces, starts, ends, words, subword, unknown);
  }

  /**
   * WordPiece's decoder ({@code tokenizers}' {@code WordPiece} with {@code cleanup}): every token
   * after the first is glued on without its {@code ##}, or after a space; then each token's space
   * before punctuation and English contractions is removed.
   */
  static String wordPieceString(java.util.List<String> tokens) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (i > 0) {
        t = t.startsWith("##") ? t.substring(2) : " " + t;
      }
      out.append(
          t.replace(" .", ".")
              .replace(" ?", "?")
              .replace(" !", "!")
              .replace(" ,", ",")
              .replace(" ' ", "'")
              .replace(" n't", "n't")
              .replace(" 'm", "'m")
              .replace(" do not", " don't")
              .replace(" 's", "'s")
              .replace(" 've", "'ve")
              .replace(" 're", "'re"));
    }
    return out.toString();
  }

  /** Tokens of {@code text}, truncated to {@link #maxLength()}, reading a bounded prefix of it. */
  Tokens encode(String text) {
    return encodeWhole(bounded(text));
  }

  /**
   * Tokens of a pair ({@code [CLS] first [SEP] second [SEP]}, types 0/1), truncated longest-first
   * to {@link #maxLength()} by the tokenizer. Longest-first keeps a prefix of each side, at most
   * {@link #maxLength()} tokens long, so each side is read through the same bounded prefix as a
   * single text; a side that was cut is longer than the limit on its own, so the pair was
   * truncated.
   */
  TextScorer.Pair encodePair(String first, String second) {
    String a = bounded(first);
    String b = bounded(second);
    Encoding e = tokenizer.encode(a, b);
    long[] ids = e.getIds();
    long[] types = e.getTypeIds();
    boolean cut = e.exceedMaxLength() || ids.length > maxLength;
    if (ids.length > maxLength) {
      ids = java.util.Arrays.copyOf(ids, maxLength);
      types = java.util.Arrays.copyOf(types, maxLength);
    }
    return new TextScorer.Pair(
        new Tokens(ids, types), cut || a.length() < first.length() || b.length() < second.length());
  }

  /** The shortest prefix of {@code text} this class tries whose truncated tokens are the text's. */
  private String bounded(String text) {
    long budget = (long) maxLength * CHARS_PER_TOKEN;
    while (text.length() > budget) {
      String cut = text.substring(0, cutPoint(text, (int) budget));
      if (fillsMaxLength(cut)) {
        return cut;
      }
      budget *= 2;
    }
    return text;
  }

  /**
   * Where to cut {@code text} near {@code budget} characters: after the last whitespace in the
   * second half of the budget when there is one (so the last word is whole as often as possible),
   * else at the budget, never inside a surrogate pair.
   */
  static int cutPoint(String text, int budget) {
    for (int i = budget; i > budget / 2; i--) {
      if (Character.isWhitespace(text.charAt(i - 1))) {
        return i;
      }
    }
    return Character.isHighSurrogate(text.charAt(budget - 1)) ? budget - 1 : budget;
  }

  /**
   * True when the words of {@code cut} before its last one (which the cut may have shortened) yield
   * at least {@link #maxLength()} tokens with the special tokens.
   */
  private boolean fillsMaxLength(String cut) {
    Encoding e = untruncated.encode(cut);
    long[] words = e.getWordIds();
    long[] special = e.getSpecialTokenMask();
    long lastWord = -1;
    int specials = 0;
    for (int i = 0; i < words.length; i++) {
      if (special[i] != 0) {
        specials++;
      } else {
        lastWord = Math.max(lastWord, words[i]);
      }
    }
    int whole = 0;
    for (int i = 0; i < words.length; i++) {
      if (special[i] == 0 && words[i] < lastWord) {
        whole++;
      }
    }
    return whole + specials >= maxLength;
  }

  /** Tokenizes all of {@code text} and truncates: what {@link #encode} must equal. */
  Tokens encodeWhole(String text) {
    Encoding e = tokenizer.encode(text);
    long[] ids = e.getIds();
    long[] types = e.getTypeIds();
    if (ids.length > maxLength) {
      // Defensive: the tokenizer truncates, but never trust a file-supplied setting to hold.
      ids = java.util.Arrays.copyOf(ids, maxLength);
      types = java.util.Arrays.copyOf(types, maxLength);
    }
    return new Tokens(ids, types);
  }

  @Override
  public void close() {
    tokenizer.close();
    untruncated.close();
  }
}
