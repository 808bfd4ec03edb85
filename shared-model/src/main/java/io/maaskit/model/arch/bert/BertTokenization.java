package io.maaskit.model.arch.bert;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.Tokens;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Tokenizer wiring: DJL's Hugging Face tokenizer built from the package's {@code tokenizer.json},
 * with the file's own padding switched off (MiniLM's bakes in fixed padding to 128) and truncation
 * at the model's maximum. Padding to the longest input of a batch happens when batching.
 */
final class BertTokenization implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;

  BertTokenization(ByteBuffer tokenizerJson, int maxLength) throws IOException {
    byte[] bytes = new byte[tokenizerJson.remaining()];
    tokenizerJson.duplicate().get(bytes);
    this.maxLength = maxLength;
    this.tokenizer =
        HuggingFaceTokenizer.newInstance(
            new ByteArrayInputStream(bytes),
            Map.of(
                "padding", "false",
                "truncation", "true",
                "maxLength", Integer.toString(maxLength),
                "addSpecialTokens", "true"));
  }

  int maxLength() {
    return maxLength;
  }

  /** Token id of {@code [PAD]} (0 in BERT vocabularies when the file does not say). */
  long padId() {
    long[] ids = tokenizer.encode("[PAD]", false, false).getIds();
    return ids.length == 1 ? ids[0] : 0L;
  }

  Explainable.Spans spans(String text) {
    Encoding e = tokenizer.encode(text);
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

  Tokens encode(String text) {
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
  }
}
