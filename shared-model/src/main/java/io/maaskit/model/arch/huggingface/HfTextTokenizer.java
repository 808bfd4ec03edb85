package io.maaskit.model.arch.huggingface;

import static io.maaskit.model.pkg.PackageJson.get;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.maaskit.model.arch.TextTokenizer;
import io.maaskit.model.pkg.PackageJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A {@link TextTokenizer} over DJL's Hugging Face tokenizer, built from a package's {@code
 * tokenizer.json} with truncation and padding off; special tokens are added per call. The
 * vocabulary is read from the same file so that {@link #tokenBytes} can give the real bytes of
 * byte-level BPE tokens (GPT-2's byte-to-unicode alphabet) and of byte-fallback {@code <0xNN>}
 * tokens.
 *
 * <pre>{@code
 * try (HfTextTokenizer tok = HfTextTokenizer.of(Files.readAllBytes(path))) {
 *   int[] ids = tok.encode("Hello", false);
 * }
 * }</pre>
 */
public final class HfTextTokenizer implements TextTokenizer, AutoCloseable {

  /** How a vocabulary entry maps to bytes. */
  private enum ByteScheme {
    /** GPT-2 style: every byte is one printable code point. */
    BYTE_LEVEL,
    /** SentencePiece style: {@code ▁} is a space, unknown bytes are {@code <0xNN>} tokens. */
    BYTE_FALLBACK,
    /** UTF-8 strings ({@code ▁} read as a space, as Metaspace tokenizers spell it). */
    TEXT
  }

  private final HuggingFaceTokenizer tokenizer;
  private final String[] tokens;
  private final Map<String, Integer> ids;
  private final boolean[] special;
  private final byte[][] bytes;

  private HfTextTokenizer(
      HuggingFaceTokenizer tokenizer,
      String[] tokens,
      Map<String, Integer> ids,
      boolean[] special,
      ByteScheme scheme) {
    this.tokenizer = tokenizer;
    this.tokens = tokens;
    this.ids = ids;
    this.special = special;
    this.bytes = new byte[tokens.length][];
    int[] unicodeToByte = scheme == ByteScheme.BYTE_LEVEL ? unicodeToByte() : null;
    for (int i = 0; i < tokens.length; i++) {
      String t = tokens[i];
      if (t == null) {
        bytes[i] = new byte[0];
      } else if (special[i]) {
        bytes[i] = t.getBytes(StandardCharsets.UTF_8);
      } else {
        bytes[i] =
            switch (scheme) {
              case BYTE_LEVEL -> byteLevel(t, unicodeToByte);
              case BYTE_FALLBACK -> byteFallback(t);
              case TEXT -> t.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
            };
      }
    }
  }

  /** Parses {@code tokenizer.json}. */
  public static HfTextTokenizer of(byte[] tokenizerJson) throws IOException {
    JsonObject root = PackageJson.object(tokenizerJson);
    JsonElement model = get(root, "model");
    Map<String, Integer> ids = new HashMap<>();
    int size = 0;
    JsonElement vocab = get(model, "vocab");
    if (!vocab.isJsonObject()) {
      throw new IOException(
          "tokenizer.json: only BPE/WordPiece vocabularies (a token-to-id object) are supported");
    }
    for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
      int id = intOrZero(e.getValue());
      ids.put(e.getKey(), id);
      size = Math.max(size, id + 1);
    }
    Map<Integer, Boolean> added = new HashMap<>();
    JsonElement addedTokens = get(root, "added_tokens");
    for (JsonElement t :
        addedTokens.isJsonArray() ? addedTokens.getAsJsonArray() : new JsonArray()) {
      int id = intOrZero(get(t, "id"));
      String content = PackageJson.text(get(t, "content"));
      ids.put(content == null ? "" : content, id);
      added.put(id, Boolean.TRUE.equals(PackageJson.bool(get(t, "special"))));
      size = Math.max(size, id + 1);
    }
    String[] tokens = new String[size];
    ids.forEach((t, id) -> tokens[id] = t);
    boolean[] special = new boolean[size];
    added.forEach((id, s) -> special[id] = s);
    ByteScheme scheme =
        Boolean.TRUE.equals(PackageJson.bool(get(model, "byte_fallback")))
            ? ByteScheme.BYTE_FALLBACK
            : mentionsByteLevel(get(root, "decoder"))
                    || mentionsByteLevel(get(root, "pre_tokenizer"))
                ? ByteScheme.BYTE_LEVEL
                : ByteScheme.TEXT;
    Map<String, String> options = new HashMap<>();
    options.put("truncation", "false");
    options.put("padding", "false");
    options.put("addSpecialTokens", "false");
    HuggingFaceTokenizer tokenizer =
        HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), options);
    return new HfTextTokenizer(tokenizer, tokens, ids, special, scheme);
  }

  private static boolean mentionsByteLevel(JsonElement n) {
    if ("ByteLevel".equals(PackageJson.text(get(n, "type")))) {
      return true;
    }
    Iterable<JsonElement> children =
        n.isJsonObject()
            ? n.getAsJsonObject().asMap().values()
            : n.isJsonArray() ? n.getAsJsonArray() : new JsonArray();
    for (JsonElement child : children) {
      if (mentionsByteLevel(child)) {
        return true;
      }
    }
    return false;
  }

  private static int intOrZero(JsonElement e) {
    Integer i = PackageJson.integer(e);
    return i == null ? 0 : i;
  }

  @Override
  public int[] encode(String text, boolean addSpecialTokens) {
    long[] raw = tokenizer.encode(text, addSpecialTokens, false).getIds();
    int[] out = new int[raw.length];
    for (int i = 0; i < raw.length; i++) {
      out[i] = (int) raw[i];
    }
    return out;
  }

  @Override
  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] raw = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      raw[i] = ids[i];
    }
    return tokenizer.decode(raw, skipSpecialTokens);
  }

  @Override
  public byte[] tokenBytes(int id) {
    return id >= 0 && id < bytes.length ? bytes[id].clone() : new byte[0];
  }

  @Override
  public String tokenString(int id) {
    return id >= 0 && id < tokens.length && tokens[id] != null ? tokens[id] : "";
  }

  @Override
  public OptionalInt tokenId(String token) {
    Integer id = ids.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  @Override
  public boolean isSpecial(int id) {
    return id >= 0 && id < special.length && special[id];
  }

  /** Number of vocabulary entries (added tokens included). */
  public int size() {
    return tokens.length;
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private static byte[] byteLevel(String token, int[] unicodeToByte) {
    byte[] out = new byte[token.length()];
    int n = 0;
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c >= unicodeToByte.length || unicodeToByte[c] < 0) {
        // Not in the byte alphabet (a hand-added token): its own UTF-8.
        return token.getBytes(StandardCharsets.UTF_8);
      }
      out[n++] = (byte) unicodeToByte[c];
    }
    return java.util.Arrays.copyOf(out, n);
  }

  private static byte[] byteFallback(String token) {
    if (token.length() == 6 && token.startsWith("<0x") && token.endsWith(">")) {
      try {
        return new byte[] {(byte) Integer.parseInt(token.substring(3, 5), 16)};
      } catch (NumberFormatException e) {
        // an ordinary token that looks like one
      }
    }
    return token.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
  }

  /**
   * GPT-2's byte-to-unicode table, inverted: printable Latin-1 bytes stand for themselves, the
   * other 68 bytes for code points 256 and up, in byte order.
   */
  static int[] unicodeToByte() {
    int[] out = new int[512];
    java.util.Arrays.fill(out, -1);
    int extra = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      out[printable ? b : 256 + extra++] = b;
    }
    return out;
  }
}
