package io.maaskit.it.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.quant.*;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bge-small-en-v1.5, a 12-layer encoder with [CLS] pooling (the pooling quantization noise hurts
 * most: one token's state, no averaging): quantize, grade on the held-out set. The gate runs on the
 * first {@value #GATE_INPUTS} calibration inputs only, to keep the test short on two cores; the
 * full gate is exercised by {@link QuantMiniLmTest} and by every {@code scripts/quantize} run.
 */
class QuantBgeSmallTest {
  static final int GATE_INPUTS = 48;
  @TempDir static Path tmp;
  static Path fp32Dir;
  static Path int8Dir;
  static Quantizer.Result result;
  static TextEncoder fp32;
  static TextEncoder int8;

  @BeforeAll
  static void quantize() throws Exception {
    fp32Dir = TestModels.imported("bge-small-en-v1.5", "cls", 512);
    int8Dir = tmp.resolve("store").resolve("bge-small-en-v1.5-int8").resolve("1");
    result =
        new Quantizer(QuantFixtures.runtime())
            .quantize(
                fp32Dir,
                int8Dir,
                QuantizeOptions.defaults()
                    .withCalibration(CalibrationSet.calibration().sample(GATE_INPUTS)),
                Progress.NONE);
    fp32 = QuantFixtures.load(fp32Dir);
    int8 = QuantFixtures.loadServing(int8Dir); // the int8 graph on ONNX Runtime
  }

  @AfterAll
  static void close() {
    if (fp32 != null) {
      fp32.close();
    }
    if (int8 != null) {
      int8.close();
    }
  }

  @Test
  void gatePassedAndSizeIsAtMostThirtyPercent() throws Exception {
    ModelManifest m = ModelPackage.read(int8Dir);
    assertEquals("int8", m.dtype());
    assertEquals("cls", m.pooling());
    assertEquals(GATE_INPUTS, m.quantization().calibrationInputs());
    assertTrue(m.quantization().minCosine() >= 0.99, "min cosine " + m.quantization().minCosine());
    long before = QuantFixtures.packageBytes(fp32Dir);
    long after = QuantFixtures.packageBytes(int8Dir);
    System.out.printf(
        "bge-small-en-v1.5: fp32 %d bytes, int8 %d bytes, ratio %.4f; gate min %.6f mean %.6f on %d, %d ms%n",
        before,
        after,
        (double) after / before,
        result.gate().minCosine(),
        result.gate().meanCosine(),
        result.gate().inputs(),
        result.millis());
    assertTrue(after <= 0.30 * before, "int8 " + after + " bytes vs fp32 " + before);
  }

  @Test
  void everyHeldOutInputStaysWithinCosine099() {
    List<String> texts = CalibrationSet.heldOut().texts();
    double[] c = QuantFixtures.cosines(fp32, int8, texts);
    double min = 1;
    double sum = 0;
    for (int i = 0; i < c.length; i++) {
      assertTrue(c[i] >= 0.99, "held-out input " + i + " '" + texts.get(i) + "': cosine " + c[i]);
      min = Math.min(min, c[i]);
      sum += c[i];
    }
    System.out.printf(
        "bge-small-en-v1.5 int8 (ONNX Runtime graph) held-out: %d inputs, min %.6f, mean %.6f%n",
        c.length, min, sum / c.length);
  }
}
