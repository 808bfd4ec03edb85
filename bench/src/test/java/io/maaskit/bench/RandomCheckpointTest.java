package io.maaskit.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generation checkpoint's tokenizer, as Hugging Face tokenizers (the Rust library) reads it.
 */
class RandomCheckpointTest {
  @Test
  void huggingFaceTokenizersEncodeTheBenchmarkPromptsToTheIdsBothSidesMustSee(@TempDir Path dir)
      throws Exception {
    ByteLevelBpe bpe = RandomCheckpoint.tokenizer();
    Path file = dir.resolve("tokenizer.json");
    new ObjectMapper().writeValue(file.toFile(), bpe.tokenizerJson());
    try (HuggingFaceTokenizer hf =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(file)
            .optAddSpecialTokens(false)
            .optTruncation(false)
            .build()) {
      for (int n :
          new int[] {RandomCheckpoint.TTFT_PROMPT_TOKENS, RandomCheckpoint.DECODE_PROMPT_TOKENS}) {
        String prompt = bpe.prompt(RandomCheckpoint.corpus(), n);
        int[] ours = bpe.encode(prompt);
        assertEquals(n, ours.length, prompt);
        long[] theirs = hf.encode(prompt).getIds();
        assertArrayEquals(ours, Arrays.stream(theirs).mapToInt(x -> (int) x).toArray(), prompt);
        assertEquals(prompt, hf.decode(theirs, true).strip());
      }
      // The last id is a filler: it decodes to plain text.
      assertEquals(
          " tok" + (RandomCheckpoint.VOCAB - 1 - bpe.vocab.get("Ġtok0")),
          hf.decode(new long[] {RandomCheckpoint.VOCAB - 1}, true));
    }
    assertEquals(RandomCheckpoint.VOCAB, bpe.vocab.size());
    for (String[] m : bpe.merges) {
      // Nothing may join across a pre-tokenizer boundary (see ByteLevelBpe).
      assertFalse(m[1].startsWith("Ġ"), Arrays.toString(m));
    }
  }

  @Test
  void bf16RoundsToNearestEven() {
    assertEquals((short) 0x3F80, RandomCheckpoint.toBf16(1.0f));
    // 1 + 2^-8 lies halfway between bf16 1.0 and 1.0078125: ties go to the even mantissa (1.0).
    assertEquals((short) 0x3F80, RandomCheckpoint.toBf16(1.00390625f));
    // 1 + 3 * 2^-8 is halfway between 1.0078125 (odd) and 1.015625 (even): rounds up.
    assertEquals((short) 0x3F82, RandomCheckpoint.toBf16(1.01171875f));
    assertEquals((short) 0xBF80, RandomCheckpoint.toBf16(-1.0f));
  }

  @Test
  void aDecodeStepReadsSmolLm2Weights() {
    // 30 layers x (576x576 x2 + 192x576 x2 + 576x1536 x3 + 2 x 576) + 49152x576 + 576
    long perLayer = 576L * 576 * 2 + 192L * 576 * 2 + 576L * 1536 * 3 + 2 * 576;
    long params = 30 * perLayer + 49152L * 576 + 576;
    assertEquals(params * 4, RandomCheckpoint.weightBytesPerToken(4));
    assertEquals(params * 2, RandomCheckpoint.weightBytesPerToken(2));
  }
}
