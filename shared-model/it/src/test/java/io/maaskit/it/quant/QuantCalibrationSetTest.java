package io.maaskit.it.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.maaskit.it.TestModels;
import io.maaskit.tools.quant.*;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shipped calibration and held-out sets: big enough, disjoint, and varied where it matters. */
class QuantCalibrationSetTest {
  @Test
  void sizesAndDisjointness() {
    CalibrationSet cal = CalibrationSet.calibration();
    CalibrationSet held = CalibrationSet.heldOut();
    assertTrue(cal.size() >= 200, "calibration has " + cal.size());
    assertTrue(held.size() >= 100, "held-out has " + held.size());
    assertEquals(
        cal.size(), new HashSet<>(cal.texts()).size(), "duplicates in the calibration set");
    Set<String> overlap = new HashSet<>(cal.texts());
    overlap.retainAll(held.texts());
    assertEquals(Set.of(), overlap);
  }

  @Test
  void bothSetsSpanLengthsScriptsAndCode() throws Exception {
    try (HuggingFaceTokenizer tok =
        HuggingFaceTokenizer.newInstance(
            TestModels.resource("all-minilm-l6-v2-tokenizer.json"),
            Map.of("truncation", "false", "padding", "false"))) {
      for (CalibrationSet set : List.of(CalibrationSet.calibration(), CalibrationSet.heldOut())) {
        int shortest = Integer.MAX_VALUE;
        int over256 = 0;
        int over512 = 0;
        for (String t : set.texts()) {
          int n = tok.encode(t).getIds().length;
          shortest = Math.min(shortest, n);
          over256 += n > 256 ? 1 : 0;
          over512 += n > 512 ? 1 : 0;
        }
        assertTrue(shortest <= 3, set.name() + ": shortest input has " + shortest + " tokens");
        assertTrue(over256 >= 3, set.name() + ": only " + over256 + " inputs over 256 tokens");
        assertTrue(over512 >= 1, set.name() + ": no input over 512 tokens");
        assertTrue(
            set.texts().stream().anyMatch(t -> t.contains("\n")),
            set.name() + ": no multi-line input");
        assertTrue(set.texts().stream().anyMatch(t -> t.contains("\t")), set.name() + ": no tab");
        long nonAscii = set.texts().stream().filter(t -> t.chars().anyMatch(c -> c > 127)).count();
        assertTrue(
            nonAscii >= set.size() / 5, set.name() + ": only " + nonAscii + " non-ASCII inputs");
        assertTrue(
            set.texts().stream().anyMatch(t -> t.matches("(?s).*[\\p{IsHan}].*")),
            set.name() + ": no CJK");
        assertTrue(
            set.texts().stream().anyMatch(t -> t.matches("(?s).*[\\p{IsArabic}].*")),
            set.name() + ": no Arabic");
        assertTrue(
            set.texts().stream().anyMatch(t -> t.matches("(?s).*\\d+[.,]\\d+.*")),
            set.name() + ": no numbers");
      }
    }
  }

  @Test
  void lineFormatUnescapesAndSkipsComments() {
    List<String> t =
        CalibrationSet.parse("# comment\n\nplain\nline\\none\\ttab \\\\ back\n\\#tag\n");
    assertEquals(List.of("plain", "line\none\ttab \\ back", "#tag"), t);
  }

  @Test
  void sampleSpreadsOverTheSet() {
    CalibrationSet cal = CalibrationSet.calibration();
    CalibrationSet s = cal.sample(10);
    assertEquals(10, s.size());
    assertEquals(cal.texts().get(0), s.texts().get(0));
    assertTrue(cal.texts().indexOf(s.texts().get(9)) >= cal.size() * 8 / 10);
  }
}
