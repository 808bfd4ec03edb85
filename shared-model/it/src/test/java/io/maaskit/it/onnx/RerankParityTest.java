package io.maaskit.it.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.ReferenceBert;
import io.maaskit.it.TestModels;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.Admission;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.RerankRequest;
import io.maaskit.model.task.RerankService;
import io.maaskit.model.task.Rerankings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A tiny random BERT cross-encoder in Hugging Face layout ({@code BertForSequenceClassification},
 * one label) imports as a reranker, tokenizes pairs as BERT does, truncates them longest-first as
 * Hugging Face tokenizers do (counts worked by hand below), and scores them on PyTorch (from the
 * safetensors) and on ONNX Runtime (from the compiled graph) as the independent double-precision
 * {@link ReferenceBert} does.
 */
class RerankParityTest {
  // Ids in TinyBert's vocabulary: specials 0-4, then its words from 5, then the letters.
  private static final long CLS = 2, SEP = 3, WHAT = 5, IS = 6, CAT = 7, THE = 9, SAT = 10;
  private static final long ON = 11, MAT = 12, QUESTION = 23, DOT = 24, LETTER_A = 26;

  private static final String QUERY = "What is a cat?"; // what is a cat ? : 5 tokens
  private static final String SENTENCE = "The cat sat on the mat."; // 7 tokens

  @Test
  void importsAsARerankerWithLogitsInItsGraph() throws Exception {
    ModelManifest m = ModelPackage.read(TestModels.tinyCrossEncoder());
    assertEquals(List.of(Capability.RERANKER), m.capabilities());
    assertEquals(ModelManifest.TASK_RERANKING, m.task());
    assertEquals(24, m.maxSequenceLength());
  }

  @Test
  void pairsAreTokenizedAndTruncatedLongestFirst() throws Exception {
    try (LoadedModel loaded =
        OrtFixtures.load(TestModels.tinyCrossEncoder(), OrtFixtures.onnxRuntime())) {
      TextScorer s = (TextScorer) loaded;
      assertEquals(24, s.maxLength());
      TextScorer.Pair p = s.tokenizePair(QUERY, SENTENCE);
      assertArrayEquals(
          new long[] {
            CLS, WHAT, IS, LETTER_A, CAT, QUESTION, SEP, THE, CAT, SAT, ON, THE, MAT, DOT, SEP
          },
          p.tokens().ids());
      assertArrayEquals(
          new long[] {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, p.tokens().typeIds());
      assertFalse(p.truncated());

      // 24 tokens leave 21 for the texts. Query 5 + document 16 fits exactly.
      String doc16 = SENTENCE + " " + SENTENCE + " the cat";
      assertSides(s.tokenizePair(QUERY, doc16), 5, 16, false);
      // Document 17: only the longer side gives way, to 21 - 5 = 16.
      assertSides(s.tokenizePair(QUERY, doc16 + " sat"), 5, 16, true);
      // Query 5, document 21: the document is cut to 16.
      String doc21 = SENTENCE + " " + SENTENCE + " " + SENTENCE;
      assertSides(s.tokenizePair(QUERY, doc21), 5, 16, true);
      // Query 21, document 5: the query is cut to 16.
      assertSides(s.tokenizePair(doc21, QUERY), 16, 5, true);
      // Query 15, document 21: both are longer than half, so the shorter (query) keeps
      // floor(21 / 2) = 10 and the longer 11, as tokenizers' longest_first does.
      String query15 = QUERY + " " + QUERY + " " + QUERY;
      TextScorer.Pair both = s.tokenizePair(query15, doc21);
      assertSides(both, 10, 11, true);
      // What is kept are the sides' first tokens.
      long[] ids = both.tokens().ids();
      assertArrayEquals(
          new long[] {
            CLS, WHAT, IS, LETTER_A, CAT, QUESTION, WHAT, IS, LETTER_A, CAT, QUESTION, SEP
          },
          Arrays.copyOfRange(ids, 0, 12));
      assertArrayEquals(
          new long[] {THE, CAT, SAT, ON, THE, MAT, DOT, THE, CAT, SAT, ON, SEP},
          Arrays.copyOfRange(ids, 12, 24));
      // A very long document costs its first tokens only and is still cut the same way.
      assertSides(s.tokenizePair(QUERY, (SENTENCE + " ").repeat(5000)), 5, 16, true);
    }
  }

  private static void assertSides(TextScorer.Pair p, int first, int second, boolean truncated) {
    long[] types = p.tokens().typeIds();
    long zeros = Arrays.stream(types).filter(t -> t == 0).count();
    assertEquals(first + 2, zeros, "[CLS] first [SEP]");
    assertEquals(second + 1, types.length - zeros, "second [SEP]");
    assertEquals(truncated, p.truncated());
  }

  @Test
  void scoresEqualTheReferenceOnBothEngines() throws Exception {
    Path dir = TestModels.tinyCrossEncoder();
    ReferenceBert reference = new ReferenceBert(TestModels.tinyHfDir(TestModels.TINY_RERANKER));
    List<String[]> pairs =
        List.of(
            new String[] {QUERY, SENTENCE},
            new String[] {QUERY, "The dog runs in the park."},
            new String[] {"How to cook rice?", "Boil water in a pan, then cook the rice."},
            new String[] {"How to cook rice?", (SENTENCE + " ").repeat(10)},
            new String[] {"zebra", "xylophone quartz"});
    try (LoadedModel eager = OrtFixtures.load(dir, OrtFixtures.pytorch());
        LoadedModel graph = OrtFixtures.load(dir, OrtFixtures.onnxRuntime())) {
      assertTrue(eager instanceof Explainable, "PyTorch runs the eager network");
      assertFalse(graph instanceof Explainable, "ONNX Runtime runs the compiled graph");
      for (LoadedModel m : List.of(eager, graph)) {
        TextScorer s = (TextScorer) m;
        List<Tokens> batch = new ArrayList<>();
        for (String[] p : pairs) {
          batch.add(s.tokenizePair(p[0], p[1]).tokens());
        }
        float[][] together = s.score(batch); // padded to the longest pair
        double spread = 0;
        for (int i = 0; i < batch.size(); i++) {
          double expected = reference.logits(batch.get(i).ids(), batch.get(i).typeIds())[0];
          String what = m.engine().name() + " pair " + i;
          assertEquals(1, together[i].length, what);
          assertEquals(expected, together[i][0], 1e-4, what + " in a padded batch");
          assertEquals(expected, s.score(List.of(batch.get(i)))[0][0], 1e-4, what + " alone");
          spread = Math.max(spread, Math.abs(expected - together[0][0]));
        }
        assertTrue(spread > 1e-3, "the random head tells pairs apart");
      }
    }
  }

  @Test
  void serviceRanksAdmitsAndRefuses() throws Exception {
    Path dir = TestModels.tinyCrossEncoder();
    TestModels.miniLm(); // an encoder beside it, without a scoring head
    ReferenceBert reference = new ReferenceBert(TestModels.tinyHfDir(TestModels.TINY_RERANKER));
    try (ModelRegistry registry =
        TestModels.registry(dir.getParent().getParent(), "rerank-service-cache")) {
      RerankService svc =
          new RerankService(registry, TestModels.TINY_RERANKER, 8, Admission.unlimited());
      List<String> texts =
          List.of(SENTENCE, "The dog runs in the park.", "Boil water in a pan.", "zebra");
      Rerankings r = svc.rerank(new RerankRequest(null, QUERY, texts, false), Cancellation.NONE);
      assertEquals(texts.size(), r.ranked().size());
      TextScorer s =
          registry.get(
              io.maaskit.model.pkg.ModelId.parse(TestModels.TINY_RERANKER),
              Capability.RERANKER,
              TextScorer.class);
      int tokens = 0;
      for (Rerankings.Ranked x : r.ranked()) {
        Tokens t = s.tokenizePair(QUERY, texts.get(x.index())).tokens();
        tokens += t.length();
        double logit = reference.logits(t.ids(), t.typeIds())[0];
        assertEquals(logit, x.logit(), 1e-4);
        assertEquals(1 / (1 + Math.exp(-logit)), x.score(), 1e-5);
      }
      assertEquals(tokens, r.promptTokens());
      for (int i = 1; i < r.ranked().size(); i++) {
        assertTrue(r.ranked().get(i - 1).score() >= r.ranked().get(i).score(), "descending");
      }

      String longDoc = (SENTENCE + " ").repeat(4);
      PayloadTooLargeException tooLong =
          assertThrows(
              PayloadTooLargeException.class,
              () ->
                  svc.rerank(
                      new RerankRequest(null, QUERY, List.of(SENTENCE, longDoc), false),
                      Cancellation.NONE));
      assertTrue(tooLong.getMessage().contains("text 1"), tooLong.getMessage());
      assertTrue(tooLong.getMessage().contains("24 tokens"), tooLong.getMessage());
      assertEquals(
          2,
          svc.rerank(
                  new RerankRequest(null, QUERY, List.of(SENTENCE, longDoc), true),
                  Cancellation.NONE)
              .ranked()
              .size());

      InvalidRequestException noHead =
          assertThrows(
              InvalidRequestException.class,
              () ->
                  svc.rerank(
                      new RerankRequest("all-minilm-l6-v2", QUERY, texts, true),
                      Cancellation.NONE));
      assertTrue(noHead.getMessage().contains("not a reranker"), noHead.getMessage());
      assertTrue(noHead.getMessage().contains("can do: encoder"), noHead.getMessage());
      assertThrows(
          InvalidRequestException.class,
          () -> svc.rerank(new RerankRequest(null, "", texts, true), Cancellation.NONE));
      assertThrows(
          InvalidRequestException.class,
          () -> svc.rerank(new RerankRequest(null, QUERY, List.of(), true), Cancellation.NONE));
      assertThrows(
          InvalidRequestException.class,
          () ->
              svc.rerank(
                  new RerankRequest(null, QUERY, java.util.Collections.nCopies(9, "a"), true),
                  Cancellation.NONE));
    }
  }
}
