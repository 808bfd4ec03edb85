package io.maaskit.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluationTest {
  @Test
  void countsPrecisionRecallF1AndConfusion() {
    // labels: ham=0, spam=1. 6 ham (1 called spam), 4 spam (1 called ham).
    int[] actual = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1};
    int[] predicted = {0, 0, 0, 0, 0, 1, 1, 1, 1, 0};
    Evaluation e = Evaluation.of(List.of("ham", "spam"), actual, predicted);
    assertEquals(10, e.examples());
    assertEquals(0.8, e.accuracy(), 1e-12);
    assertEquals(0.75, e.precision("spam"), 1e-12);
    assertEquals(0.75, e.recall("spam"), 1e-12);
    assertEquals(0.75, e.f1("spam"), 1e-12);
    assertEquals(5.0 / 6, e.precision("ham"), 1e-12);
    assertArrayEquals(new long[] {5, 1}, e.confusion()[0]);
    assertArrayEquals(new long[] {1, 3}, e.confusion()[1]);
    Map<String, Object> m = e.toMap("spam");
    assertEquals(0.75, m.get("f1"));
    assertEquals(Map.of("ham", 5L, "spam", 1L), ((Map<?, ?>) m.get("confusion")).get("ham"));
    String report = e.report("spam");
    assertTrue(report.contains("accuracy   0.8000"), report);
    assertTrue(report.contains("F1(spam)  0.7500"), report);
  }
}
