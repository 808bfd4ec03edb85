package io.maaskit.it.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.ExplainMethod;
import io.maaskit.model.task.ExplainRequest;
import io.maaskit.model.task.ExplainService;
import io.maaskit.model.task.Explanations.Explanation;
import io.maaskit.model.task.Explanations.TokenAttribution;
import io.maaskit.model.task.internal.GaussLegendre;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Explanations of the kit's own topic classifier: completeness, spans, methods, errors. */
class ExplainServiceTest {
  static final String SPORTS = "The visitors scored twice in the second half and won the derby.";
  static ModelRegistry registry;
  static ExplainService svc;

  /** One registry for both test classes, left open: the JVM's exit frees it. */
  @BeforeAll
  static synchronized void setUp() throws Exception {
    if (registry != null) {
      return;
    }
    TestModels.topicClassifier();
    registry = TestModels.registry("explain-cache");
    svc = new ExplainService(registry, TestModels.TOPICS, 8, ExplainService.DEFAULT_STEPS);
  }

  static Explanation one(ExplainMethod method, String label, Integer steps, boolean words) {
    return svc.explain(new ExplainRequest(null, List.of(SPORTS), method, label, steps, words))
        .explanations()
        .get(0);
  }

  @Test
  void integratedGradientsAreCompleteAtTheDefaultSteps() {
    Explanation e = one(ExplainMethod.INTEGRATED_GRADIENTS, null, null, false);
    assertEquals("sports", e.label());
    assertTrue(e.score() > 0.5, "predicted label's probability: " + e.score());
    double sum = e.tokens().stream().mapToDouble(TokenAttribution::attribution).sum();
    assertNotNull(e.completenessGap());
    // The gap is measured against p(x) - p(baseline), which the attributions must nearly sum to.
    assertTrue(e.completenessGap() < 0.01 * Math.max(Math.abs(sum), 0.05), e.toString());
    // Specials are in the baseline too: they get nothing.
    assertEquals(0f, e.tokens().get(0).attribution(), 1e-6);
    assertEquals("[CLS]", e.tokens().get(0).token());
    assertEquals("[SEP]", e.tokens().get(e.tokens().size() - 1).token());
  }

  @Test
  void fewStepsLeaveALargerGapThanMany() {
    double coarse = one(ExplainMethod.INTEGRATED_GRADIENTS, null, 1, false).completenessGap();
    double fine = one(ExplainMethod.INTEGRATED_GRADIENTS, null, 128, false).completenessGap();
    assertTrue(fine < coarse, "gap at 1 step " + coarse + ", at 128 steps " + fine);
  }

  @Test
  void spansReproduceTheTokens() {
    Explanation e = one(ExplainMethod.GRADIENT_X_INPUT, null, null, false);
    int real = 0;
    for (TokenAttribution t : e.tokens()) {
      if (t.start() == t.end()) {
        continue; // special tokens cover no text
      }
      real++;
      assertEquals(
          t.token().replace("##", ""),
          SPORTS.substring(t.start(), t.end()).toLowerCase(Locale.ROOT),
          t.toString());
    }
    assertTrue(real >= 12, "tokens: " + e.tokens());
    assertNull(e.completenessGap());
    assertTrue(e.tokens().stream().anyMatch(t -> t.attribution() != 0f));
  }

  @Test
  void wordsSumTheirPieces() {
    Explanation tok = one(ExplainMethod.INTEGRATED_GRADIENTS, "cooking", 16, false);
    Explanation word = one(ExplainMethod.INTEGRATED_GRADIENTS, "cooking", 16, true);
    assertEquals("cooking", word.label());
    assertTrue(word.score() < 0.5);
    double a = tok.tokens().stream().mapToDouble(TokenAttribution::attribution).sum();
    double b = word.tokens().stream().mapToDouble(TokenAttribution::attribution).sum();
    assertEquals(a, b, 1e-5);
    assertTrue(word.tokens().stream().anyMatch(t -> t.token().equals("visitors")));
    for (TokenAttribution t : word.tokens()) {
      assertEquals(SPORTS.substring(t.start(), t.end()), t.start() == t.end() ? "" : t.token());
    }
  }

  @Test
  void rolloutIsADistributionOverTokens() {
    Explanation e = one(ExplainMethod.ATTENTION_ROLLOUT, null, null, false);
    double sum = e.tokens().stream().mapToDouble(TokenAttribution::attribution).sum();
    assertEquals(1.0, sum, 1e-4);
    assertTrue(e.tokens().stream().allMatch(t -> t.attribution() >= 0));
  }

  @Test
  void badRequestsNameWhatIsWrong() {
    InvalidRequestException label =
        assertThrows(
            InvalidRequestException.class,
            () -> one(ExplainMethod.INTEGRATED_GRADIENTS, "politics", null, false));
    assertTrue(label.getMessage().contains("cooking, sports"), label.getMessage());
    InvalidRequestException steps =
        assertThrows(
            InvalidRequestException.class,
            () -> one(ExplainMethod.INTEGRATED_GRADIENTS, null, 513, false));
    assertTrue(steps.getMessage().contains("between 1 and 512"), steps.getMessage());
    InvalidRequestException method =
        assertThrows(InvalidRequestException.class, () -> ExplainMethod.parse("lime"));
    assertTrue(method.getMessage().contains("attention_rollout"), method.getMessage());
    InvalidRequestException encoder =
        assertThrows(
            InvalidRequestException.class,
            () ->
                svc.explain(
                    new ExplainRequest("all-minilm-l6-v2", List.of("x"), null, null, null, false)));
    assertTrue(encoder.getMessage().contains("is not a classifier"), encoder.getMessage());
  }

  @Test
  void similarityContributionsSumToTheCosineChange() {
    String a = "The visitors scored twice and won the derby.";
    String b = "A late goal decided the football match.";
    var e =
        svc.explain(
            new ExplainRequest("all-minilm-l6-v2", List.of(a, b), null, null, null, false, true));
    assertEquals(2, e.explanations().size());
    float[][] v =
        new io.maaskit.model.task.EmbeddingService(registry, "all-minilm-l6-v2", 8)
            .embed(new io.maaskit.model.task.EmbedRequest(null, List.of(a, b), true, null))
            .vectors();
    double cos = 0;
    for (int i = 0; i < v[0].length; i++) {
      cos += v[0][i] * v[1][i];
    }
    for (Explanation x : e.explanations()) {
      assertEquals("similarity", x.label());
      assertEquals(cos, x.score(), 1e-4);
      double sum = x.tokens().stream().mapToDouble(TokenAttribution::attribution).sum();
      assertTrue(x.completenessGap() < 0.01 * Math.abs(sum), x.toString());
    }
    assertTrue(
        e.explanations().get(1).tokens().stream()
            .anyMatch(t -> t.token().equals("goal") && t.start() == b.indexOf("goal")));
    InvalidRequestException one =
        assertThrows(
            InvalidRequestException.class,
            () ->
                svc.explain(
                    new ExplainRequest(
                        "all-minilm-l6-v2", List.of(a), null, null, null, false, true)));
    assertTrue(one.getMessage().contains("exactly two inputs"), one.getMessage());
  }

  @Test
  void gaussLegendreIntegratesCubicsExactly() {
    GaussLegendre.Rule r = GaussLegendre.of(2);
    double sum = 0;
    double cubic = 0;
    for (int i = 0; i < 2; i++) {
      sum += r.weights()[i];
      cubic += r.weights()[i] * Math.pow(r.nodes()[i], 3);
    }
    assertEquals(1.0, sum, 1e-12);
    assertEquals(0.25, cubic, 1e-12);
    GaussLegendre.Rule big = GaussLegendre.of(64);
    double s64 = 0;
    for (double w : big.weights()) {
      s64 += w;
    }
    assertEquals(1.0, s64, 1e-12);
    assertTrue(big.nodes()[0] > 0 && big.nodes()[63] < 1);
  }
}
