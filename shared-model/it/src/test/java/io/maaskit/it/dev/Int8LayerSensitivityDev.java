package io.maaskit.it.dev;

import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.Quantization;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.Int8Calibrator;
import io.maaskit.tools.onnx.Int8Plan;
import io.maaskit.tools.onnx.OnnxCompiler;
import io.maaskit.tools.quant.AccuracyGate;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Which linear layers of an encoder ({@code -Ddev.model=minilm|bge|e5}) can run the dynamic int8
 * kernel: each layer alone on the dynamic kernel (the rest blockwise), gated on the all-dynamic
 * graph's 32 worst calibration inputs; then graphs with the least sensitive layers dynamic, gated
 * on the whole calibration set and the held-out set. Prints {@code DEV} lines.
 */
class Int8LayerSensitivityDev {
  @Test
  void sensitivity() throws Exception {
    String which = System.getProperty("dev.model", "minilm");
    Path fp32 = Int8SensitivityDev.fp32(which);
    Path work =
        Path.of("target/dev/sensitivity-" + which + "-" + System.nanoTime() + "/store/x-int8/1")
            .toAbsolutePath();
    EagerEngine pt = EagerEngine.start(EngineOptions.defaults());
    Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", 0, true));
    new Quantizer(pt)
        .quantize(
            fp32,
            work,
            QuantizeOptions.defaults()
                .withMinCosine(0.5)
                .withCalibration(CalibrationSet.calibration().sample(8))
                .withId("x-int8", "1")
                .withGraph(new CompileOptions(CompileOptions.Int8Kernel.BLOCKWISE, 32)),
            Progress.NONE);
    ModelManifest src = ModelPackage.read(fp32);
    ModelManifest int8 = ModelPackage.read(work);
    List<String> texts = CalibrationSet.calibration().texts();
    Int8Calibrator.Calibration cal;
    try (LoadedModel ref = Int8SensitivityDev.load(fp32, pt)) {
      cal =
          ((Int8Calibrator) new io.maaskit.tools.onnx.bert.BertGraphCompiler())
              .calibrate(
                  src,
                  p -> java.nio.ByteBuffer.wrap(Files.readAllBytes(fp32.resolve(p))),
                  (TextEncoder) ref,
                  ort,
                  texts,
                  Progress.NONE);
    }
    Int8Plan all = cal.plan();
    int n = all.linears().size();
    AccuracyGate gate = new AccuracyGate(0.99);
    AccuracyGate.Result dyn = measure(work, int8, all, ort, gate, cal.float32(), texts, null);
    System.out.printf("DEV %s all dynamic: min %.5f%n", which, dyn.minCosine());
    double[] c = dyn.cosines();
    List<Integer> hard =
        IntStream.range(0, c.length)
            .boxed()
            .sorted(Comparator.comparingDouble(i -> c[i]))
            .limit(32)
            .toList();
    Int8Plan blk = all.withDynamic(List.of());
    AccuracyGate.Result base = measure(work, int8, blk, ort, gate, cal.float32(), texts, hard);
    System.out.printf(
        "DEV %s all blockwise on the 32 hardest: min %.5f%n", which, base.minCosine());
    double[] loss = new double[n];
    for (int i = 0; i < n; i++) {
      List<Int8Plan.Choice> one = new ArrayList<>();
      for (int j = 0; j < n; j++) {
        one.add(j == i ? all.linears().get(j) : all.linears().get(j).blockwise());
      }
      AccuracyGate.Result r =
          measure(work, int8, new Int8Plan(one), ort, gate, cal.float32(), texts, hard);
      loss[i] = base.minCosine() - r.minCosine();
      Int8Plan.Choice ch = all.linears().get(i);
      System.out.printf(
          "DEV %s layer %-44s alpha %-5s dynErr %.4f blkErr %.4f alone-dynamic min %.5f (loss %.5f)%n",
          which,
          ch.name(),
          ch.alpha(),
          ch.dynamicError(),
          ch.blockwiseError(),
          r.minCosine(),
          loss[i]);
    }
    List<Integer> order =
        IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble(i -> loss[i])).toList();
    List<String> held = CalibrationSet.heldOut().texts();
    for (int m : new int[] {2, 4, 6, 8, 12}) {
      if (m > n) {
        break;
      }
      List<Int8Plan.Choice> some = new ArrayList<>();
      java.util.Set<Integer> dynamic = java.util.Set.copyOf(order.subList(0, m));
      for (int j = 0; j < n; j++) {
        some.add(dynamic.contains(j) ? all.linears().get(j) : all.linears().get(j).blockwise());
      }
      Int8Plan p = new Int8Plan(some);
      AccuracyGate.Result r = measure(work, int8, p, ort, gate, cal.float32(), texts, null);
      double heldMin;
      try (LoadedModel f = Int8SensitivityDev.load(fp32, ort);
          LoadedModel q = direct(work, ModelPackage.read(work), ort)) {
        heldMin = gate.measure((TextEncoder) f, (TextEncoder) q, held, Progress.NONE).minCosine();
      }
      System.out.printf(
          "DEV %s least sensitive %d dynamic %s: calibration min %.5f, held-out min %.5f%n",
          which,
          m,
          dynamic.stream().sorted().map(j -> all.linears().get(j).name()).toList(),
          r.minCosine(),
          heldMin);
    }
  }

  /** Loads a package straight from its directory (no cache: the graph changes between loads). */
  private static LoadedModel direct(Path dir, ModelManifest m, Engine e) throws Exception {
    return io.maaskit.model.arch.Architecture.forName(m.architecture())
        .load(m, p -> java.nio.ByteBuffer.wrap(Files.readAllBytes(dir.resolve(p))), e);
  }

  private static AccuracyGate.Result measure(
      Path work,
      ModelManifest int8,
      Int8Plan plan,
      Engine ort,
      AccuracyGate gate,
      float[][] expected,
      List<String> texts,
      List<Integer> subset)
      throws Exception {
    Files.deleteIfExists(work.resolve(Int8Plan.FILE));
    plan.writeSmoothing(work);
    ModelManifest planned =
        int8.withQuantization(
            new Quantization(
                "x", null, null, null, "quantize", null, null, plan.manifestEntries()));
    OnnxCompiler.writeGraph(work, planned, CompileOptions.defaults(), Progress.NONE);
    ModelManifest sealed = ModelPackage.seal(work, planned);
    try (LoadedModel q = direct(work, sealed, ort)) {
      if (subset == null) {
        return gate.measure(expected, (TextEncoder) q, texts, Progress.NONE);
      }
      return gate.measure(
          subset.stream().map(i -> expected[i]).toArray(float[][]::new),
          (TextEncoder) q,
          subset.stream().map(texts::get).toList(),
          Progress.NONE);
    }
  }
}
