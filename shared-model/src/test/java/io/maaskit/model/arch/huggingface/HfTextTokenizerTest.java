package io.maaskit.model.arch.huggingface;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A byte-fallback BPE tokenizer in the layout Llama 2, Mistral and TinyLlama ship ({@code ▁} for
 * spaces, {@code <0xNN>} tokens for bytes outside the vocabulary): the raw bytes of every token,
 * exact round trips, and BOS only when asked.
 */
class HfTextTokenizerTest {
  @Test
  void byteFallbackTokensGiveTheirBytes() throws Exception {
    try (HfTextTokenizer t = HfTextTokenizer.of(byteFallbackTokenizer())) {
      String text = "hello é日";
      int[] ids = t.encode(text, false);
      ByteArrayOutputStream joined = new ByteArrayOutputStream();
      for (int id : ids) {
        joined.writeBytes(t.tokenBytes(id));
      }
      // The normalizer prepends ▁ (a space) to the text, as Llama 2's does.
      assertArrayEquals((" " + text).getBytes(StandardCharsets.UTF_8), joined.toByteArray());
      int fallback = t.tokenId("<0xC3>").getAsInt();
      assertArrayEquals(new byte[] {(byte) 0xC3}, t.tokenBytes(fallback));
      assertTrue(java.util.Arrays.stream(ids).anyMatch(id -> id == fallback), "é falls back");
      assertEquals("\u2581hello", t.tokenString(t.tokenId("\u2581hello").getAsInt()));
      assertArrayEquals(
          " hello".getBytes(StandardCharsets.UTF_8),
          t.tokenBytes(t.tokenId("\u2581hello").getAsInt()));
      assertEquals(text, t.decode(ids, false));
      int[] withBos = t.encode(text, true);
      assertEquals(1, withBos[0], "<s> first when special tokens are asked for");
      assertEquals(ids.length + 1, withBos.length);
      assertTrue(t.isSpecial(1));
      assertEquals(text, t.decode(withBos, true));
    }
  }

  /** Llama 2's tokenizer.json shape, with a vocabulary of a few words and all 256 bytes. */
  static byte[] byteFallbackTokenizer() throws Exception {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    vocab.put("<unk>", 0);
    vocab.put("<s>", 1);
    vocab.put("</s>", 2);
    for (int b = 0; b < 256; b++) {
      vocab.put(String.format("<0x%02X>", b), vocab.size());
    }
    List<String> merges = new ArrayList<>();
    String[][] pairs = {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"\u2581", "hello"}};
    for (String s : new String[] {"\u2581", "h", "e", "l", "o"}) {
      vocab.put(s, vocab.size());
    }
    for (String[] p : pairs) {
      merges.add(p[0] + " " + p[1]);
      vocab.put(p[0] + p[1], vocab.size());
    }
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", "<unk>");
    model.put("continuing_subword_prefix", null);
    model.put("end_of_word_suffix", null);
    model.put("fuse_unk", true);
    model.put("byte_fallback", true);
    model.put("vocab", vocab);
    model.put("merges", merges);
    List<Map<String, Object>> added = new ArrayList<>();
    for (String s : new String[] {"<unk>", "<s>", "</s>"}) {
      added.add(
          Map.of(
              "id", vocab.get(s),
              "content", s,
              "single_word", false,
              "lstrip", false,
              "rstrip", false,
              "normalized", false,
              "special", true));
    }
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("version", "1.0");
    t.put("truncation", null);
    t.put("padding", null);
    t.put("added_tokens", added);
    t.put(
        "normalizer",
        Map.of(
            "type",
            "Sequence",
            "normalizers",
            List.of(
                Map.of("type", "Prepend", "prepend", "\u2581"),
                Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", "\u2581"))));
    t.put("pre_tokenizer", null);
    t.put(
        "post_processor",
        Map.of(
            "type",
            "TemplateProcessing",
            "single",
            List.of(
                Map.of("SpecialToken", Map.of("id", "<s>", "type_id", 0)),
                Map.of("Sequence", Map.of("id", "A", "type_id", 0))),
            "pair",
            List.of(
                Map.of("SpecialToken", Map.of("id", "<s>", "type_id", 0)),
                Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                Map.of("Sequence", Map.of("id", "B", "type_id", 1))),
            "special_tokens",
            Map.of("<s>", Map.of("id", "<s>", "ids", List.of(1), "tokens", List.of("<s>")))));
    t.put(
        "decoder",
        Map.of(
            "type",
            "Sequence",
            "decoders",
            List.of(
                Map.of("type", "Replace", "pattern", Map.of("String", "\u2581"), "content", " "),
                Map.of("type", "ByteFallback"),
                Map.of("type", "Fuse"),
                Map.of("type", "Strip", "content", " ", "start", 1, "stop", 0))));
    t.put("model", model);
    return new ObjectMapper().writeValueAsBytes(t);
  }
}
