package io.maaskit.it.dev;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.Progress;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.tools.onnx.OnnxCompiler;
import io.maaskit.tools.quant.AccuracyGate;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class Int8SensitivityDev {
  static LoadedModel load(Path dir, Engine e) throws Exception {
    LocalModelStore store = new LocalModelStore(dir.getParent().getParent());
    return new PackageLoader(
            store,
            new PackageCache(Files.createDirectories(Path.of("target/dev-cache")), 0),
            LoadMode.MEMORY,
            e)
        .load(ModelPackage.read(dir))
        .model();
  }

  /** The float32 package of {@code minilm}, {@code bge} or {@code e5}. */
  static Path fp32(String which) throws java.io.IOException {
    return which.equals("bge")
        ? TestModels.bgeSmall()
        : which.equals("e5") ? TestModels.e5Small() : TestModels.miniLm();
  }

  @Test
  void sensitivity() throws Exception {
    String which = System.getProperty("dev.model", "minilm");
    Path fp32 = fp32(which);
    Path int8 = Path.of("target/dev/" + which + "/store/x-int8/1").toAbsolutePath();
    EagerEngine pt = EagerEngine.start(new EngineOptions("pytorch", "cpu", 0, true));
    Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", 0, true));
    if (!Files.exists(int8.resolve(io.maaskit.model.pkg.ModelManifest.FILE))) {
      new Quantizer(pt, pt)
          .quantize(
              fp32,
              int8,
              QuantizeOptions.defaults().withMinCosine(0.5).withId("x-int8", "1"),
              Progress.NONE);
    }
    List<String> texts = CalibrationSet.calibration().texts();
    List<String> variants = List.of("dqmm", "nbits32", "nbits64", "nbits128");
    try (LoadedModel ref = load(fp32, pt)) {
      for (String v : variants) {
        io.maaskit.tools.onnx.CompileOptions o =
            v.startsWith("nbits")
                ? new io.maaskit.tools.onnx.CompileOptions(
                    io.maaskit.tools.onnx.CompileOptions.Int8Kernel.BLOCKWISE,
                    Integer.parseInt(v.substring(5)))
                : new io.maaskit.tools.onnx.CompileOptions(
                    io.maaskit.tools.onnx.CompileOptions.Int8Kernel.DYNAMIC, 32);
        OnnxCompiler.compile(int8, o, Progress.NONE);
        try (LoadedModel cand = load(int8, ort)) {
          AccuracyGate.Result r =
              new AccuracyGate(0.99)
                  .measure((TextEncoder) ref, (TextEncoder) cand, texts, Progress.NONE);
          System.out.printf(
              "DEV %s %-24s min %.5f mean %.5f below %d worst '%s'%n",
              which, v, r.minCosine(), r.meanCosine(), r.failures(), r.worstInput());
          TextEncoder c = (TextEncoder) cand;
          var one = List.of(c.tokenize("The quick brown fox jumps over the lazy dog."));
          var pool = io.maaskit.model.arch.Pooling.of(c.manifest().pooling());
          for (int k = 0; k < 50; k++) {
            c.encode(one, pool, true);
          }
          long t0 = System.nanoTime();
          for (int k = 0; k < 300; k++) {
            c.encode(one, pool, true);
          }
          System.out.printf(
              "DEV %s %s single short: %.3f ms%n", which, v, (System.nanoTime() - t0) / 300 / 1e6);
        }
      }
    }
  }
}
