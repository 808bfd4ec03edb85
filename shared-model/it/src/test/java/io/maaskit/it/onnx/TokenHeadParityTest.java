package io.maaskit.it.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.ReferenceBert;
import io.maaskit.it.TestModels;
import io.maaskit.it.TinyBert;
import io.maaskit.it.TinyEncoders.Family;
import io.maaskit.it.TinyEncoders.Head;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tiny random BERT checkpoints with per-token heads, in Hugging Face layout ({@code
 * BertForTokenClassification}, {@code BertForQuestionAnswering}), import as a token classifier and
 * a question answerer, tokenize whole texts with spans into the original text (accents, CJK), and
 * give every token the logits of the independent double-precision {@link ReferenceBert} on PyTorch
 * (from the safetensors) and ONNX Runtime (from the compiled graph). The same holds for the tiny
 * RoBERTa, XLM-RoBERTa and DistilBERT checkpoints with those heads ({@link
 * io.maaskit.it.TinyEncoders}: {@code *ForTokenClassification}, {@code *ForQuestionAnswering}).
 */
class TokenHeadParityTest {
  // Ids in TinyBert's vocabulary: specials 0-4, then its words from 5, then the letters.
  private static final long UNK = 1, CLS = 2, SEP = 3, THE = 9, CAT = 7, DOT = 24;
  private static final long LETTER_J = 26 + 9, CONT_O = 26 + 26 + 14, CONT_S = 26 + 26 + 18;
  private static final long CONT_E = 26 + 26 + 4;

  @Test
  void importsByTheSavedClass() throws Exception {
    ModelManifest ner = ModelPackage.read(TestModels.tinyTokenClassifier());
    assertEquals(List.of(Capability.TOKEN_CLASSIFIER), ner.capabilities());
    assertEquals(ModelManifest.TASK_TOKEN_CLASSIFICATION, ner.task());
    ModelManifest qa = ModelPackage.read(TestModels.tinyQuestionAnswerer());
    assertEquals(List.of(Capability.QUESTION_ANSWERER), qa.capabilities());
    assertEquals(ModelManifest.TASK_QUESTION_ANSWERING, qa.task());
    assertTrue(ner.file("model.onnx") != null && qa.file("model.onnx") != null, "graphs listed");
  }

  @Test
  void piecesIndexTheOriginalText() throws Exception {
    try (LoadedModel loaded =
        OrtFixtures.load(TestModels.tinyTokenClassifier(), OrtFixtures.onnxRuntime())) {
      TokenLogits m = (TokenLogits) loaded;
      assertEquals(TinyBert.ENTITY_LABELS, m.labels());
      assertEquals(CLS, m.clsId());
      assertEquals(SEP, m.sepId());
      // "José" is lowercased and its accent stripped (j ##o ##s ##e) yet "é" is still 3..4; each
      // CJK character is a word of its own, unknown to this vocabulary; "😀" is two UTF-16 units
      // (and a word WordPiece cannot spell is one unknown token).
      String text = "José the 東京 cat 😀.";
      TokenLogits.Pieces p = m.pieces(text);
      assertArrayEquals(
          new long[] {LETTER_J, CONT_O, CONT_S, CONT_E, THE, UNK, UNK, CAT, UNK, DOT}, p.ids());
      assertArrayEquals(new int[] {0, 1, 2, 3, 5, 9, 10, 12, 16, 18}, p.starts());
      assertArrayEquals(new int[] {1, 2, 3, 4, 8, 10, 11, 15, 18, 19}, p.ends());
      assertArrayEquals(
          new boolean[] {false, true, true, true, false, false, false, false, false, false},
          p.subword());
      assertArrayEquals(
          new boolean[] {false, false, false, false, false, true, true, false, true, false},
          p.unknown());
      assertEquals("##o", p.tokens()[1]);
      assertEquals("é", text.substring(p.starts()[3], p.ends()[3]));
      assertEquals("京", text.substring(p.starts()[6], p.ends()[6]));
      assertEquals("😀", text.substring(p.starts()[8], p.ends()[8]));
      assertEquals(p.words()[0], p.words()[3], "j ##o ##s ##e: one word");
      assertTrue(p.words()[5] != p.words()[6], "each CJK character its own word");
    }
  }

  @Test
  void tokenClassifierLogitsEqualTheReference() throws Exception {
    List<long[]> sequences = new ArrayList<>();
    sequences.add(new long[] {CLS, THE, CAT, DOT, SEP});
    sequences.add(new long[] {CLS, LETTER_J, CONT_O, CONT_S, CONT_E, THE, UNK, CAT, SEP});
    sequences.add(new long[] {CLS, SEP});
    assertParity(
        TestModels.tinyTokenClassifier(), TestModels.TINY_NER, "classifier", sequences, null);
  }

  @Test
  void questionAnswererLogitsEqualTheReference() throws Exception {
    // [CLS] question [SEP] context [SEP], token types 0 then 1.
    List<long[]> sequences = new ArrayList<>();
    sequences.add(new long[] {CLS, 5, 6, THE, CAT, 23, SEP, THE, CAT, 10, 11, THE, 12, DOT, SEP});
    sequences.add(new long[] {CLS, 5, SEP, THE, SEP});
    List<long[]> types = new ArrayList<>();
    types.add(new long[] {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1});
    types.add(new long[] {0, 0, 0, 1, 1});
    assertParity(
        TestModels.tinyQuestionAnswerer(), TestModels.TINY_QA, "qa_outputs", sequences, types);
  }

  /** Every family with each per-token head. */
  static Stream<Arguments> familyHeads() {
    return Stream.of(Family.values())
        .flatMap(
            f ->
                Stream.of(
                    Arguments.of(f, Head.TOKEN_CLASSIFIER),
                    Arguments.of(f, Head.QUESTION_ANSWERER)));
  }

  @ParameterizedTest
  @MethodSource("familyHeads")
  void familyHeadLogitsEqualTheReference(Family f, Head h) throws Exception {
    Path dir = TestModels.tinyEncoder(f, h);
    ModelManifest manifest = ModelPackage.read(dir);
    assertEquals(
        h == Head.TOKEN_CLASSIFIER
            ? List.of(Capability.TOKEN_CLASSIFIER)
            : List.of(Capability.QUESTION_ANSWERER),
        manifest.capabilities());
    assertTrue(manifest.file("model.onnx") != null, "graph listed");
    // Sequences as the services frame them, from the family's own tokenizer (byte-level BPE,
    // Unigram, WordPiece): opening special, the text's tokens, closing special.
    List<long[]> sequences = new ArrayList<>();
    try (LoadedModel loaded = OrtFixtures.load(dir, OrtFixtures.onnxRuntime())) {
      TokenLogits m = (TokenLogits) loaded;
      // The family's own specials: <s> 0 and </s> 2, or TinyBert's [CLS] 2 and [SEP] 3.
      boolean distil = f == Family.DISTILBERT;
      assertEquals(distil ? CLS : 0, m.clsId(), f + " opening special");
      assertEquals(distil ? SEP : 2, m.sepId(), f + " closing special");
      for (String text : List.of("the cat sat on the mat.", "What is a dog?", "zebra")) {
        long[] p = m.pieces(text).ids();
        long[] ids = new long[p.length + 2];
        ids[0] = m.clsId();
        System.arraycopy(p, 0, ids, 1, p.length);
        ids[ids.length - 1] = m.sepId();
        sequences.add(ids);
      }
    }
    String head = h == Head.QUESTION_ANSWERER ? "qa_outputs" : "classifier";
    assertParity(dir, TestModels.tinyEncoderName(f, h), head, sequences, null);
  }

  private static void assertParity(
      Path dir, String name, String head, List<long[]> ids, List<long[]> types) throws Exception {
    ReferenceBert reference = new ReferenceBert(TestModels.tinyHfDir(name));
    List<Tokens> batch = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      batch.add(new Tokens(ids.get(i), types == null ? new long[ids.get(i).length] : types.get(i)));
    }
    try (LoadedModel eager = OrtFixtures.load(dir, OrtFixtures.pytorch());
        LoadedModel graph = OrtFixtures.load(dir, OrtFixtures.onnxRuntime())) {
      assertTrue(eager instanceof Explainable, "PyTorch runs the eager network");
      assertFalse(graph instanceof Explainable, "ONNX Runtime runs the compiled graph");
      for (LoadedModel loaded : List.of(eager, graph)) {
        TokenLogits m = (TokenLogits) loaded;
        float[][][] together = m.tokenLogits(batch); // padded to the longest
        double spread = 0;
        for (int i = 0; i < batch.size(); i++) {
          Tokens t = batch.get(i);
          double[][] expected = reference.tokenLogits(t.ids(), t.typeIds(), head);
          float[][] alone = m.tokenLogits(List.of(t))[0];
          String what = loaded.engine().name() + " sequence " + i;
          assertEquals(t.length(), together[i].length, what + ": padding dropped");
          for (int k = 0; k < t.length(); k++) {
            assertEquals(m.labels().size(), together[i][k].length, what);
            for (int c = 0; c < expected[k].length; c++) {
              assertEquals(expected[k][c], together[i][k][c], 1e-4, what + " token " + k);
              assertEquals(expected[k][c], alone[k][c], 1e-4, what + " token " + k + " alone");
              spread = Math.max(spread, Math.abs(expected[k][c] - expected[0][c]));
            }
          }
        }
        assertTrue(spread > 1e-3, "the random head tells tokens apart");
      }
    }
  }
}
