package io.maaskit.it.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.error.OverloadedException;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.error.RequestCancelledException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.Admission;
import io.maaskit.model.task.AdmissionOptions;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.ExplainMethod;
import io.maaskit.model.task.ExplainRequest;
import io.maaskit.model.task.ExplainService;
import io.maaskit.model.task.Explanations.Explanation;
import io.maaskit.model.task.Explanations.TokenAttribution;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Occlusion on the classifier as served (its compiled graph on ONNX Runtime, no PyTorch copy), and
 * the bounds every explanation is held to: a cost budget, admission, cancellation between passes.
 */
class OcclusionAndBoundsTest {
  static final String COOKING = "Grandma said to knead the dough and let it rest overnight.";

  /** A registry of its own, so what it loads is this class's doing alone. */
  static ModelRegistry registry;

  @BeforeAll
  static void setUp() throws Exception {
    TestModels.topicClassifier();
    registry = TestModels.servingRegistry("occlusion-cache");
  }

  static ExplainRequest request(ExplainMethod method, Integer steps, String... texts) {
    return new ExplainRequest(TestModels.TOPICS, List.of(texts), method, null, steps, true);
  }

  static ExplainService service(Admission admission, long maxCost) {
    return new ExplainService(
        registry, TestModels.TOPICS, 16, ExplainService.DEFAULT_STEPS, admission, maxCost);
  }

  /**
   * Each word's occlusion attribution is the drop in the label's probability when that word is cut
   * out of the text, checked against the classifier on the edited text itself; the model ran on its
   * compiled graph, and no PyTorch copy of it was loaded to explain it. With no method named, a
   * graph-served classifier is explained by occlusion.
   */
  @Test
  void occlusionIsTheDropWhenAWordIsCutFromTheTextOnTheServedGraph() {
    Explanation e =
        service(Admission.unlimited(), 0)
            .explain(request(null, null, COOKING))
            .explanations()
            .get(0);
    assertEquals("cooking", e.label());
    assertEquals("occlusion", e.method());
    assertNull(e.completenessGap());
    TextClassifier served =
        registry.get(ModelId.parse(TestModels.TOPICS), Capability.CLASSIFIER, TextClassifier.class);
    int label = served.labels().indexOf("cooking");
    float full = ClassificationService.probabilities(served, List.of(COOKING))[0][label];
    assertEquals(full, e.score(), 1e-5);
    int checked = 0;
    for (TokenAttribution t : e.tokens()) {
      assertTrue(Float.isFinite(t.attribution()), t.toString());
      if (t.start() == t.end() || !Character.isLetter(COOKING.charAt(t.start()))) {
        continue;
      }
      String cut = COOKING.substring(0, t.start()) + COOKING.substring(t.end());
      float p = ClassificationService.probabilities(served, List.of(cut))[0][label];
      assertEquals(full - p, t.attribution(), 1e-4, t + " vs '" + cut + "'");
      checked++;
    }
    assertTrue(checked >= 10, e.tokens().toString());
    assertTrue(e.tokens().stream().anyMatch(t -> Math.abs(t.attribution()) > 1e-3));
    List<ModelRegistry.Status> loaded =
        registry.status().stream().filter(s -> s.model().startsWith(TestModels.TOPICS)).toList();
    assertEquals(1, loaded.size(), loaded.toString());
    assertTrue(loaded.get(0).engine().startsWith("onnxruntime"), loaded.toString());
  }

  /** Over its budget a request is refused before any pass runs, naming the cost and the limit. */
  @Test
  void aRequestOverItsBudgetIsRefusedBeforeItRuns() {
    Admission admission = Admission.unlimited();
    ExplainService svc = service(admission, 10_000);
    String longText = "knead the dough ".repeat(200);
    PayloadTooLargeException e =
        assertThrows(
            PayloadTooLargeException.class,
            () ->
                svc.explain(request(ExplainMethod.OCCLUSION, null, longText, longText, longText)));
    assertTrue(e.getMessage().contains("at most 10000"), e.getMessage());
    assertEquals(0, admission.inside());
    // The same text at the same cost fits alone when its price is within the budget.
    long one =
        ExplainService.cost(
            ((io.maaskit.model.arch.SpanTokenizer)
                    registry.get(
                        ModelId.parse(TestModels.TOPICS),
                        Capability.CLASSIFIER,
                        TextClassifier.class))
                .spans(COOKING),
            ExplainMethod.OCCLUSION,
            32);
    assertTrue(one < 10_000, "cost " + one);
    svc.explain(request(ExplainMethod.OCCLUSION, null, COOKING));
  }

  /** With every slot taken and no queue, an explanation is refused at once (503 + Retry-After). */
  @Test
  void atCapacityItIsRefusedWithRetryAfter() {
    Admission admission = new Admission(new AdmissionOptions(1, 0, Duration.ofSeconds(1), 0));
    ExplainService svc = service(admission, 0);
    try (Admission.Ticket busy = admission.enter(Cancellation.NONE)) {
      OverloadedException e =
          assertThrows(
              OverloadedException.class,
              () -> svc.explain(request(ExplainMethod.OCCLUSION, null, COOKING)));
      assertTrue(e.retryAfter().toSeconds() >= 1, e.toString());
    }
  }

  /**
   * A caller that goes away stops the explanation between passes: the cancellation is consulted
   * again before each chunk, and once it says so nothing more runs.
   */
  @Test
  void aCallerThatGoesAwayStopsItBetweenPasses() {
    Admission admission = Admission.unlimited();
    ExplainService svc = service(admission, 0);
    AtomicInteger asked = new AtomicInteger();
    // Wanted for the prediction's pass, gone before the first chunk of occlusion variants.
    Cancellation goneAfterPrediction = () -> asked.incrementAndGet() > 2 ? "the client left" : null;
    RequestCancelledException e =
        assertThrows(
            RequestCancelledException.class,
            () ->
                svc.explain(request(ExplainMethod.OCCLUSION, null, COOKING), goneAfterPrediction));
    assertTrue(e.getMessage().contains("the client left"), e.getMessage());
    assertEquals(1, admission.cancelled());
    assertEquals(0, admission.inside());
  }
}
