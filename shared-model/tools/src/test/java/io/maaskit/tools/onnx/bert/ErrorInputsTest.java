package io.maaskit.tools.onnx.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The error pass's inputs: spread evenly over the calibration inputs by length. */
class ErrorInputsTest {
  @Test
  void keepsEveryInputWhenThereAreFewEnough() {
    List<String> texts = List.of("bb", "a", "ccc");
    assertSame(texts, BertInt8Calibrator.spread(texts, 3));
  }

  @Test
  void spreadsOverLengthsKeepingTheShortestAndTheLongest() {
    List<String> texts = new ArrayList<>();
    for (int len = 10; len >= 1; len--) { // longest first, so order by length must be restored
      texts.add("x".repeat(len));
    }
    List<String> picked = BertInt8Calibrator.spread(texts, 4);
    assertEquals(
        List.of(1, 4, 7, 10), picked.stream().map(String::length).toList(), picked.toString());
  }
}
