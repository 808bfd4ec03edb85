package io.maaskit.model.arch.bert;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
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
