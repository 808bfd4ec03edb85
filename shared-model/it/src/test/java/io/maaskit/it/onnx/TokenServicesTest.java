package io.maaskit.it.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.ReferenceBert;
import io.maaskit.it.TestModels;
import io.maaskit.it.TinyBert;
import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.Admission;
import io.maaskit.model.task.AggregationStrategy;
import io.maaskit.model.task.AnswerRequest;
import io.maaskit.model.task.Answers;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.Entity;
import io.maaskit.model.task.QuestionAnsweringService;
import io.maaskit.model.task.TokenClassificationService;
import io.maaskit.model.task.TokenClassifyRequest;
import io.maaskit.model.task.TokenEntities;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The token-classification and question-answering services on the tiny random BERT heads (served
 * from their compiled graphs): every entity and answer is checked against the independent {@link
 * ReferenceBert}'s logits, long texts are read in overlapping windows, bad requests are refused.
 */
class TokenServicesTest {
  private static ModelRegistry registry;
  private static TokenClassificationService ner;
  private static QuestionAnsweringService qa;
  private static ReferenceBert nerReference;
  private static ReferenceBert qaReference;

  @BeforeAll
  static void start() throws Exception {
    TestModels.tinyTokenClassifier();
    TestModels.tinyQuestionAnswerer();
    TestModels.miniLm(); // an encoder beside them, with neither head
    registry = TestModels.servingRegistry("token-services-cache");
    ner = new TokenClassificationService(registry, TestModels.TINY_NER, 4, Admission.unlimited());
    qa = new QuestionAnsweringService(registry, TestModels.TINY_QA, Admission.unlimited());
    nerReference = new ReferenceBert(TestModels.tinyHfDir(TestModels.TINY_NER));
    qaReference = new ReferenceBert(TestModels.tinyHfDir(TestModels.TINY_QA));
  }

  @AfterAll
  static void stop() {
    registry.close();
  }

  private static TokenLogits model(String name, Capability c) {
    return registry.get(ModelId.parse(name), c, TokenLogits.class);
  }

  private static double[] softmax(double[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (double l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    double[] p = new double[logits.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.exp(logits[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /**
   * What aggregation {@code none} must answer for {@code text} read in windows of {@code room}
   * tokens sharing {@code stride}: per token, the reference's best label and its probability in
   * each window holding it; tokens labelled O everywhere left out; of a token's windows, the
   * surest.
   */
  private static List<Entity> expectedTokens(String text, int room, int stride) {
    TokenLogits m = model(TestModels.TINY_NER, Capability.TOKEN_CLASSIFIER);
    TokenLogits.Pieces p = m.pieces(text);
    Entity[] best = new Entity[p.length()];
    for (int from = 0; ; from += room - stride) {
      int to = Math.min(p.length(), from + room);
      long[] ids = new long[to - from + 2];
      ids[0] = m.clsId();
      ids[ids.length - 1] = m.sepId();
      System.arraycopy(p.ids(), from, ids, 1, to - from);
      double[][] logits = nerReference.tokenLogits(ids, new long[ids.length], "classifier");
      for (int k = from; k < to; k++) {
        double[] probs = softmax(logits[k - from + 1]);
        int arg = 0;
        for (int j = 1; j < probs.length; j++) {
          arg = probs[j] > probs[arg] ? j : arg;
        }
        String label = TinyBert.ENTITY_LABELS.get(arg);
        if (label.equals("O") || (best[k] != null && best[k].score() >= probs[arg])) {
          continue;
        }
        String word = p.unknown()[k] ? text.substring(p.starts()[k], p.ends()[k]) : p.tokens()[k];
        best[k] =
            new Entity(
                label, (float) probs[arg], k - from + 1, word, p.starts()[k], p.ends()[k], false);
      }
      if (to == p.length()) {
        break;
      }
    }
    List<Entity> out = new ArrayList<>();
    for (Entity e : best) {
      if (e != null) {
        out.add(e);
      }
    }
    return out;
  }

  private static void assertSameEntities(List<Entity> expected, List<Entity> actual) {
    assertEquals(expected.size(), actual.size(), "entities: " + actual);
    for (int i = 0; i < expected.size(); i++) {
      Entity e = expected.get(i);
      Entity a = actual.get(i);
      assertEquals(e.label(), a.label(), "entity " + i);
      assertEquals(e.score(), a.score(), 1e-4, "entity " + i);
      assertEquals(e.index(), a.index(), "entity " + i);
      assertEquals(e.word(), a.word(), "entity " + i);
      assertEquals(e.start(), a.start(), "entity " + i);
      assertEquals(e.end(), a.end(), "entity " + i);
    }
  }

  @Test
  void everyTokenAsTheReferenceLabelsIt() {
    String text = "José the 東京 cat sat on the mat.";
    TokenEntities r =
        ner.entities(
            new TokenClassifyRequest(null, List.of(text), AggregationStrategy.NONE, null),
            Cancellation.NONE);
    assertEquals(TestModels.TINY_NER, r.model());
    List<Entity> expected = expectedTokens(text, 22, 5);
    assertFalse(expected.isEmpty(), "the random head names some entities");
    assertSameEntities(expected, r.entities().get(0));
  }

  @Test
  void longTextsAreReadInOverlappingWindowsNotCut() {
    // 50 tokens: windows of 22 (24 less [CLS] and [SEP]) sharing 5 (a quarter): 0-22, 17-39,
    // 34-50; every token is labelled, the last included.
    String text = "The cat sat on the mat. ".repeat(7) + "the dog";
    TokenLogits m = model(TestModels.TINY_NER, Capability.TOKEN_CLASSIFIER);
    assertEquals(51, m.pieces(text).length());
    TokenEntities r =
        ner.entities(
            new TokenClassifyRequest(null, List.of(text), AggregationStrategy.NONE, null),
            Cancellation.NONE);
    assertSameEntities(expectedTokens(text, 22, 5), r.entities().get(0));
    assertEquals(24 + 24 + (51 - 34 + 2), r.tokens(), "tokens over the three windows");
    // A request's own stride.
    TokenEntities s =
        ner.entities(
            new TokenClassifyRequest(null, List.of(text), AggregationStrategy.NONE, 10),
            Cancellation.NONE);
    assertSameEntities(expectedTokens(text, 22, 10), s.entities().get(0));
  }

  @Test
  void groupsSpanTheirMembers() {
    String text = "The cat sat on the mat. The dog runs in the park.";
    for (AggregationStrategy a : List.of(AggregationStrategy.SIMPLE, AggregationStrategy.FIRST)) {
      List<Entity> groups =
          ner.entities(new TokenClassifyRequest(null, List.of(text), a, null), Cancellation.NONE)
              .entities()
              .get(0);
      for (Entity g : groups) {
        assertTrue(g.grouped());
        assertNull(g.index());
        assertTrue(List.of("PER", "LOC", "ORG").contains(g.label()), g.toString());
        assertTrue(0 <= g.start() && g.start() < g.end() && g.end() <= text.length(), g.toString());
      }
    }
  }

  @Test
  void badNerRequestsAreRefused() {
    assertThrows(
        InvalidRequestException.class,
        () ->
            ner.entities(new TokenClassifyRequest(null, List.of(), null, null), Cancellation.NONE));
    assertThrows(
        InvalidRequestException.class,
        () ->
            ner.entities(
                new TokenClassifyRequest(null, List.of("a", "b", "c", "d", "e"), null, null),
                Cancellation.NONE));
    InvalidRequestException stride =
        assertThrows(
            InvalidRequestException.class,
            () ->
                ner.entities(
                    new TokenClassifyRequest(null, List.of("the cat"), null, 22),
                    Cancellation.NONE));
    assertTrue(stride.getMessage().contains("'stride'"), stride.getMessage());
    PayloadTooLargeException tooLong =
        assertThrows(
            PayloadTooLargeException.class,
            () ->
                ner.entities(
                    new TokenClassifyRequest(null, List.of("cat ".repeat(1300)), null, null),
                    Cancellation.NONE));
    assertTrue(tooLong.getMessage().contains("4800"), tooLong.getMessage());
    InvalidRequestException noHead =
        assertThrows(
            InvalidRequestException.class,
            () ->
                ner.entities(
                    new TokenClassifyRequest("all-minilm-l6-v2", List.of("the cat"), null, null),
                    Cancellation.NONE));
    assertTrue(noHead.getMessage().contains("not a token-classifier"), noHead.getMessage());
    assertTrue(noHead.getMessage().contains("can do: encoder"), noHead.getMessage());
    assertTrue(ner.serves(TestModels.TINY_NER));
    assertFalse(ner.serves("all-minilm-l6-v2"));
  }

  /** The reference's best span of a one-window context, by brute force over token pairs. */
  private static double[] bestSpan(String question, String context, int maxLen) {
    return bestSpan(question, context, maxLen, 0, Integer.MAX_VALUE);
  }

  /** The same over the window of context tokens {@code [from, to)}. */
  private static double[] bestSpan(
      String question, String context, int maxLen, int from, int upTo) {
    TokenLogits m = model(TestModels.TINY_QA, Capability.QUESTION_ANSWERER);
    TokenLogits.Pieces q = m.pieces(question);
    TokenLogits.Pieces all = m.pieces(context);
    int to = Math.min(upTo, all.length());
    TokenLogits.Pieces c =
        new TokenLogits.Pieces(
            java.util.Arrays.copyOfRange(all.ids(), from, to),
            java.util.Arrays.copyOfRange(all.tokens(), from, to),
            java.util.Arrays.copyOfRange(all.starts(), from, to),
            java.util.Arrays.copyOfRange(all.ends(), from, to),
            java.util.Arrays.copyOfRange(all.words(), from, to),
            java.util.Arrays.copyOfRange(all.subword(), from, to),
            java.util.Arrays.copyOfRange(all.unknown(), from, to));
    int n = q.length() + c.length() + 3;
    long[] ids = new long[n];
    long[] types = new long[n];
    ids[0] = m.clsId();
    System.arraycopy(q.ids(), 0, ids, 1, q.length());
    ids[q.length() + 1] = m.sepId();
    System.arraycopy(c.ids(), 0, ids, q.length() + 2, c.length());
    ids[n - 1] = m.sepId();
    for (int i = q.length() + 2; i < n; i++) {
      types[i] = 1;
    }
    double[][] logits = qaReference.tokenLogits(ids, types, "qa_outputs");
    double[] s = new double[c.length() + 1];
    double[] e = new double[c.length() + 1];
    s[0] = logits[0][0];
    e[0] = logits[0][1];
    for (int k = 0; k < c.length(); k++) {
      s[k + 1] = logits[q.length() + 2 + k][0];
      e[k + 1] = logits[q.length() + 2 + k][1];
    }
    double[] ps = softmax(s); // [CLS] and the context; the rest is masked to nothing
    double[] pe = softmax(e);
    double[] best = {-1, 0, 0};
    for (int a = 1; a < ps.length; a++) {
      for (int b = a; b < Math.min(pe.length, a + maxLen); b++) {
        if (ps[a] * pe[b] > best[0]) {
          best = new double[] {ps[a] * pe[b], c.starts()[a - 1], c.ends()[b - 1]};
        }
      }
    }
    return best;
  }

  @Test
  void theAnswerIsTheReferencesBestSpan() {
    String question = "What sat on the mat?";
    String context = "The cat sat on the mat.";
    Answers a =
        qa.answer(
            new AnswerRequest(null, question, context, 1, 15, false, null), Cancellation.NONE);
    assertEquals(1, a.answers().size());
    double[] best = bestSpan(question, context, 15);
    Answers.Answer x = a.answers().get(0);
    assertEquals(best[0], x.score(), 1e-5);
    // Words are whole in this vocabulary's words, so the span is the tokens' own.
    assertEquals((int) best[1], x.start());
    assertEquals((int) best[2], x.end());
    assertEquals(context.substring(x.start(), x.end()), x.text());
    double[] short1 = bestSpan(question, context, 1);
    Answers.Answer one =
        qa.answer(new AnswerRequest(null, question, context, 1, 1, false, null), Cancellation.NONE)
            .answers()
            .get(0);
    assertEquals(short1[0], one.score(), 1e-5);
    assertEquals(1, context.substring(one.start(), one.end()).split(" ").length);

    Answers three =
        qa.answer(new AnswerRequest(null, question, context, 3, 15, true, null), Cancellation.NONE);
    assertEquals(3, three.answers().size());
    assertTrue(three.answers().contains(x), "the best span, beside no-answer: " + three);
    for (int i = 1; i < 3; i++) {
      assertTrue(three.answers().get(i - 1).score() >= three.answers().get(i).score());
    }
  }

  @Test
  void longContextsUseWindowsSoNoAnswerIsLost() {
    String question = "What sat?";
    // 63 context tokens; the question's 3 leave 24 - 6 = 18 per window, stride min(12, 9) = 9:
    // six windows from 0, 9, ..., 45.
    String context = "The dog runs in the park. ".repeat(8) + "The cat sat on the mat.";
    Answers a =
        qa.answer(
            new AnswerRequest(null, question, context, 1, 15, false, null), Cancellation.NONE);
    assertEquals(6 * 24, a.tokens(), "read in six windows");
    double[] best = {-1, 0, 0};
    for (int from = 0; from <= 45; from += 9) {
      double[] w = bestSpan(question, context, 15, from, from + 18);
      best = w[0] > best[0] ? w : best;
    }
    Answers.Answer x = a.answers().get(0);
    assertEquals(best[0], x.score(), 1e-5);
    assertEquals((int) best[1], x.start());
    assertEquals((int) best[2], x.end());
    assertEquals(context.substring(x.start(), x.end()), x.text());
  }

  @Test
  void badQuestionsAreRefused() {
    assertThrows(
        InvalidRequestException.class,
        () ->
            qa.answer(
                new AnswerRequest(null, "What?", null, 1, 15, false, null), Cancellation.NONE));
    assertThrows(
        InvalidRequestException.class,
        () -> qa.answer(new AnswerRequest(null, "", "x", 1, 15, false, null), Cancellation.NONE));
    assertThrows(
        InvalidRequestException.class,
        () -> qa.answer(new AnswerRequest(null, "q", "x", 0, 15, false, null), Cancellation.NONE));
    assertThrows(
        InvalidRequestException.class,
        () -> qa.answer(new AnswerRequest(null, "q", "x", 1, 0, false, null), Cancellation.NONE));
    PayloadTooLargeException longQuestion =
        assertThrows(
            PayloadTooLargeException.class,
            () ->
                qa.answer(
                    new AnswerRequest(null, "the cat ".repeat(11), "x", 1, 15, false, null),
                    Cancellation.NONE));
    assertTrue(longQuestion.getMessage().contains("shorter question"), longQuestion.getMessage());
    InvalidRequestException noHead =
        assertThrows(
            InvalidRequestException.class,
            () ->
                qa.answer(
                    new AnswerRequest(TestModels.TINY_NER, "q", "x", 1, 15, false, null),
                    Cancellation.NONE));
    assertTrue(noHead.getMessage().contains("not a question-answerer"), noHead.getMessage());
    assertTrue(noHead.getMessage().contains("can do: token-classifier"), noHead.getMessage());
  }
}
