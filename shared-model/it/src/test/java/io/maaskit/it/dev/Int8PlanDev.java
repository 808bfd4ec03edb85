package io.maaskit.it.dev;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.Pooling;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.OnnxCompiler;
import io.maaskit.tools.quant.AccuracyGate;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The calibrated int8 plan of one model ({@code -Ddev.model=minilm|bge|e5}): the quantizer's
 * per-layer decisions, held-out cosines, and single-input latency of the calibrated graph against
 * the all-blockwise one, alternating.
 */
class Int8PlanDev {
  static LoadedModel load(Path dir, Engine e) throws Exception {
    return Int8SensitivityDev.load(dir, e);
  }

  @Test
  void plan() throws Exception {
    String which = System.getProperty("dev.model", "minilm");
    int gateInputs = Integer.getInteger("dev.gate", 1000);
    Path fp32 =
        which.equals("bge")
            ? TestModels.bgeSmall()
            : which.equals("e5") ? TestModels.e5Small() : TestModels.miniLm();
    Path root = Path.of("target/dev/plan-" + which + "-" + System.nanoTime()).toAbsolutePath();
    Path int8 = root.resolve("store/x-int8/1");
    Path blk = root.resolve("store/x-blk/1");
    Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", 2, true));
    long t0 = System.nanoTime();
    Quantizer.Result r =
        new Quantizer(ort, ort)
            .quantize(
                fp32,
                int8,
                QuantizeOptions.defaults()
                    .withMinCosine(Double.parseDouble(System.getProperty("dev.min", "0.99")))
                    .withCalibration(CalibrationSet.calibration().sample(gateInputs))
                    .withId("x-int8", "1"),
                (w, d, t) -> {
                  if (d < 0 || d == t) {
                    System.out.println("PROGRESS " + w + " " + d + "/" + t);
                  }
                });
    System.out.printf(
        "DEV %s quantized in %d ms; gate min %.5f mean %.5f%n",
        which, (System.nanoTime() - t0) / 1_000_000, r.gate().minCosine(), r.gate().meanCosine());
    ModelManifest m = r.manifest();
    m.quantization().linears().forEach((k, v) -> System.out.println("DEV LINEAR " + k + " " + v));
    new Quantizer(ort, ort)
        .quantize(
            fp32,
            blk,
            QuantizeOptions.defaults()
                .withMinCosine(0.5)
                .withCalibration(CalibrationSet.calibration().sample(8))
                .withId("x-blk", "1")
                .withGraph(new CompileOptions(CompileOptions.Int8Kernel.BLOCKWISE, 32)),
            (w, d, t) -> {});
    List<String> held = CalibrationSet.heldOut().texts();
    try (LoadedModel ref = load(fp32, ort);
        LoadedModel a = load(int8, ort);
        LoadedModel b = load(blk, ort)) {
      AccuracyGate.Result h =
          new AccuracyGate(0.99).measure((TextEncoder) ref, (TextEncoder) a, held, (w, d, t) -> {});
      System.out.printf(
          "DEV %s held-out calibrated min %.5f mean %.5f below %d%n",
          which, h.minCosine(), h.meanCosine(), h.failures());
      String shortText = "The quick brown fox jumps over the lazy dog.";
      String longText = String.join(" ", held.subList(0, 6));
      for (String text : List.of(shortText, longText)) {
        double[][] t = new double[2][];
        TextEncoder[] encs = {(TextEncoder) a, (TextEncoder) b};
        for (int k = 0; k < 2; k++) {
          t[k] = new double[15];
        }
        for (int round = 0; round < 15; round++) {
          for (int k = 0; k < 2; k++) {
            TextEncoder e = encs[k];
            List<Tokens> one = List.of(e.tokenize(text));
            Pooling pool = Pooling.of(e.manifest().pooling());
            for (int i = 0; i < 20; i++) {
              e.encode(one, pool, true);
            }
            long s = System.nanoTime();
            for (int i = 0; i < 50; i++) {
              e.encode(one, pool, true);
            }
            t[k][round] = (System.nanoTime() - s) / 50 / 1e6;
          }
        }
        double[] ratio = new double[15];
        for (int i = 0; i < 15; i++) {
          ratio[i] = t[0][i] / t[1][i];
        }
        Arrays.sort(ratio);
        Arrays.sort(t[0]);
        Arrays.sort(t[1]);
        System.out.printf(
            "DEV %s %s tokens: calibrated %.3f ms, blockwise %.3f ms, paired ratio median %.3f [%.3f..%.3f]%n",
            which,
            ((TextEncoder) a).tokenize(text).length(),
            t[0][7],
            t[1][7],
            ratio[7],
            ratio[2],
            ratio[12]);
      }
    }
    OnnxCompiler.class.getName();
  }
}
