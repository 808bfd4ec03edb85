package io.maaskit.it.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.arch.Explainable;
import io.maaskit.model.task.ExplainService;
import io.maaskit.tools.explain.Faithfulness;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** ERASER scores on the topic classifier: Integrated Gradients must beat a random ranking. */
class FaithfulnessTest {
  @BeforeAll
  static void setUp() throws Exception {
    ExplainServiceTest.setUp();
  }

  @Test
  void integratedGradientsBeatRandomAndGapsShrinkWithSteps() {
    Explainable m = ExplainService.classifier(ExplainServiceTest.registry, "test-topics");
    List<String> texts =
        List.of(
            "The visitors scored twice in the second half and won the derby.",
            "Our club signed a new striker before the season.",
            "The chef said to whisk the eggs with sugar and flour.",
            "My neighbour said to roast the vegetables with olive oil.",
            "The champions kept a clean sheet away from home.",
            "The baker said to knead the dough and let it rest overnight.");
    List<String> log = new ArrayList<>();
    Faithfulness.Report r = Faithfulness.run(m, texts, 32, List.of(4, 32), 7, log::add);
    assertEquals(5, r.rows().size());
    assertEquals("random", r.rows().get(4).method());
    double random = r.rows().get(4).comprehensiveness();
    assertTrue(r.rows().get(0).comprehensiveness() > random, r.markdown());
    // Gradient x input need not beat random (on this classifier it does not): no assertion.
    assertTrue(Double.isFinite(r.rows().get(1).comprehensiveness()), r.markdown());
    assertTrue(r.rows().get(0).sufficiency() < r.rows().get(4).sufficiency(), r.markdown());
    assertEquals("occlusion", r.rows().get(3).method());
    assertTrue(r.rows().get(3).comprehensiveness() > random, r.markdown());
    assertTrue(r.gaps().get(1).medianRelative() < r.gaps().get(0).medianRelative(), r.markdown());
    assertTrue(r.gaps().get(1).medianRelative() < 0.01, r.markdown());
    assertTrue(r.markdown().contains("| integrated_gradients |"), r.markdown());
    assertEquals(1, log.size());
  }
}
