package io.maaskit.model.task;

import io.maaskit.model.arch.GenerationConfig;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextTokenizer;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.pkg.ModelManifest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.BiFunction;

/**
 * A deterministic generator for the loop's unit tests: one token per byte (ids 0-255) plus an
 * end-of-sequence token (256), and logits given by a function of the sequence so far. Records the
 * rows of every forward call, so tests can see batching.
 */
final class ScriptedGenerator implements TextGenerator {
  static final int EOS = 256;
  static final int VOCAB = 257;

  private final int context;
  private final BiFunction<int[], int[], float[]> logits;
  final List<Integer> batchSizes = java.util.Collections.synchronizedList(new ArrayList<>());
  volatile Runnable beforeForward = () -> {};

  /**
   * @param logits the row for (prompt, generated so far)
   */
  ScriptedGenerator(int context, BiFunction<int[], int[], float[]> logits) {
    this.context = context;
    this.logits = logits;
  }

  /** Greedily continues any prompt with {@code script}, then end of sequence. */
  static ScriptedGenerator reciting(String script, int context) {
    byte[] b = script.getBytes(StandardCharsets.UTF_8);
    return new ScriptedGenerator(
        context,
        (prompt, generated) -> {
          float[] row = new float[VOCAB];
          int pos = generated.length;
          row[pos < b.length ? b[pos] & 0xFF : EOS] = 10f;
          return row;
        });
  }

  float[] row(Cache c) {
    int[] all = c.tokens.stream().mapToInt(Integer::intValue).toArray();
    return logits.apply(
        java.util.Arrays.copyOfRange(all, 0, c.promptLength),
        java.util.Arrays.copyOfRange(all, c.promptLength, all.length));
  }

  final class Cache implements KvCache {
    final List<Integer> tokens = new ArrayList<>();
    int promptLength = -1;

    @Override
    public int length() {
      return tokens.size();
    }

    @Override
    public void close() {}
  }

  @Override
  public int contextLength() {
    return context;
  }

  @Override
  public int vocabSize() {
    return VOCAB;
  }

  @Override
  public TextTokenizer tokenizer() {
    return BYTES;
  }

  @Override
  public GenerationConfig generationConfig() {
    return new GenerationConfig(
        List.of(EOS),
        OptionalInt.empty(),
        Optional.of(
            "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
                + "{% if add_generation_prompt %}<assistant>{% endif %}"),
        Map.of("eos_token", "</s>"),
        Map.of());
  }

  @Override
  public KvCache newCache() {
    return new Cache();
  }

  @Override
  public float[][] forward(List<KvCache> caches, List<int[]> tokens) {
    beforeForward.run();
    batchSizes.add(caches.size());
    float[][] out = new float[caches.size()][];
    for (int i = 0; i < caches.size(); i++) {
      Cache c = (Cache) caches.get(i);
      if (c.tokens.size() + tokens.get(i).length > context) {
        throw new IllegalArgumentException("beyond the context");
      }
      if (c.promptLength < 0) {
        c.promptLength = tokens.get(i).length;
      }
      for (int t : tokens.get(i)) {
        c.tokens.add(t);
      }
      out[i] = row(c);
    }
    return out;
  }

  @Override
  public ModelManifest manifest() {
    return null;
  }

  @Override
  public Engine engine() {
    return null;
  }

  @Override
  public long weightBytes() {
    return 0;
  }

  @Override
  public void close() {}

  /** Byte tokens: decoding an incomplete UTF-8 sequence gives U+FFFD, as the contract says. */
  static final TextTokenizer BYTES =
      new TextTokenizer() {
        @Override
        public int[] encode(String text, boolean addSpecialTokens) {
          byte[] b = text.getBytes(StandardCharsets.UTF_8);
          int[] ids = new int[b.length];
          for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xFF;
          }
          return ids;
        }

        @Override
        public String decode(int[] ids, boolean skipSpecialTokens) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          for (int id : ids) {
            if (id < 256) {
              out.write(id);
            } else if (!skipSpecialTokens) {
              out.writeBytes("</s>".getBytes(StandardCharsets.UTF_8));
            }
          }
          return out.toString(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] tokenBytes(int id) {
          return id < 256 ? new byte[] {(byte) id} : "</s>".getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String tokenString(int id) {
          return id < 256 ? String.valueOf((char) id) : "</s>";
        }

        @Override
        public OptionalInt tokenId(String token) {
          return token.equals("</s>") ? OptionalInt.of(EOS) : OptionalInt.empty();
        }

        @Override
        public boolean isSpecial(int id) {
          return id == EOS;
        }
      };
}
