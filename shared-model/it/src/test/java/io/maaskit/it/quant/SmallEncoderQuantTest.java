package io.maaskit.it.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.tools.quant.*;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A 12-layer encoder with real weights: quantize with the default (calibrated) int8 graph, grade
 * the graph that serves on the held-out set. The gate runs on the first {@value #GATE_INPUTS}
 * calibration inputs only, to keep the test short on two cores; the full gate is exercised by
 * {@link QuantMiniLmTest} and by every {@code scripts/quantize} run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SmallEncoderQuantTest {
  static final int GATE_INPUTS = 48;
  Path fp32Dir;
  Path int8Dir;
  Quantizer.Result result;
  TextEncoder fp32;
  TextEncoder int8;

  /** The LangChain4j model name, e.g. {@code bge-small-en-v1.5}. */
  abstract String model();

  /** Its pooling. */
  abstract String pooling();

  @BeforeAll
  void quantize() throws Exception {
    fp32Dir = TestModels.imported(model(), pooling(), 512);
    Path tmp = Files.createTempDirectory("quant-" + model());
    int8Dir = tmp.resolve("store").resolve(model() + "-int8").resolve("1");
    result =
        new Quantizer(QuantFixtures.runtime())
            .quantize(
                fp32Dir,
                int8Dir,
                QuantizeOptions.defaults()
                    .withCalibration(CalibrationSet.calibration().sample(GATE_INPUTS)),
                QuantFixtures.phases(model()));
    long t0 = System.nanoTime();
    fp32 = QuantFixtures.loadServing(fp32Dir); // the float32 graph on ONNX Runtime
    int8 = QuantFixtures.loadServing(int8Dir); // the int8 graph on ONNX Runtime
    System.out.printf("[quant %s] test loads: %.1fs%n", model(), (System.nanoTime() - t0) / 1e9);
  }

  @AfterAll
  void close() {
    QuantFixtures.close(fp32, int8);
  }

  @Test
  void gatePassedWithPerLayerDecisionsAndSizeIsAtMostThirtyPercent() throws Exception {
    ModelManifest m = ModelPackage.read(int8Dir);
    assertEquals("int8", m.dtype());
    assertEquals(pooling(), m.pooling());
    assertEquals(GATE_INPUTS, m.quantization().calibrationInputs());
    assertTrue(m.quantization().minCosine() >= 0.99, "min cosine " + m.quantization().minCosine());
    assertEquals(12 * 4, m.quantization().linears().size());
    long dynamic =
        m.quantization().linears().values().stream()
            .filter(l -> l.kernel().equals("dynamic"))
            .count();
    long before = QuantFixtures.packageBytes(fp32Dir);
    long after = QuantFixtures.packageBytes(int8Dir);
    System.out.printf(
        "%s: fp32 %d bytes, int8 %d bytes, ratio %.4f; %d of 48 layers dynamic; gate min %.6f"
            + " mean %.6f on %d, %d ms%n",
        model(),
        before,
        after,
        (double) after / before,
        dynamic,
        result.gate().minCosine(),
        result.gate().meanCosine(),
        result.gate().inputs(),
        result.millis());
    assertTrue(after <= 0.30 * before, "int8 " + after + " bytes vs fp32 " + before);
  }

  @Test
  void everyHeldOutInputStaysWithinCosine099() {
    QuantFixtures.assertHeldOutWithin099(model(), fp32, int8);
  }
}
