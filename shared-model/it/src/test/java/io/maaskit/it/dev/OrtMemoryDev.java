package io.maaskit.it.dev;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.Progress;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Resident memory of MiniLM on ONNX Runtime ({@code -Ddev.dtype=fp32|int8}) after loading, after
 * one input and after two batches of 256 inputs: {@code VmHWM} (peak) and {@code VmRSS} (now), as
 * the bench reads them from the server. One configuration per JVM, since the peak only grows.
 */
public class OrtMemoryDev {
  static long kb(String field) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  static void print(String when) throws Exception {
    System.out.printf(
        "MEM %s %s: peak %d MB, now %d MB, heap used %d MB%n",
        System.getProperty("dev.dtype", "int8"),
        when,
        kb("VmHWM") / 1024,
        kb("VmRSS") / 1024,
        (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
  }

  /** For running one configuration per JVM without Maven: java -cp ... OrtMemoryDev. */
  public static void main(String[] args) throws Exception {
    new OrtMemoryDev().memory();
    System.exit(0);
  }

  @Test
  void memory() throws Exception {
    String dtype = System.getProperty("dev.dtype", "int8");
    Path fp32 = TestModels.miniLm();
    Path dir = fp32;
    if (dtype.equals("int8") && System.getProperty("dev.int8") != null) {
      dir = Path.of(System.getProperty("dev.int8"));
    } else if (dtype.equals("int8")) {
      dir = Path.of("target/dev/memory/store/all-minilm-l6-v2-int8/1").toAbsolutePath();
      if (!Files.exists(dir.resolve(ModelManifest.FILE))) {
        Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", 2, true));
        new Quantizer(ort, ort).quantize(fp32, dir, QuantizeOptions.defaults(), Progress.NONE);
        System.out.println("MEM quantized; rerun for a clean measurement");
        return;
      }
    }
    List<String> texts = new ArrayList<>();
    for (String t : CalibrationSet.calibration().texts()) {
      if (t.length() > 40 && t.length() < 400) {
        texts.add(t);
      }
    }
    while (texts.size() < 256) {
      texts.addAll(new ArrayList<>(texts));
    }
    texts = texts.subList(0, 256);
    print("start");
    Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", 2, true));
    LocalModelStore store = new LocalModelStore(dir.getParent().getParent());
    Path cache = Files.createDirectories(Path.of("target/dev-cache-mem"));
    try (LoadedModel m =
        new PackageLoader(store, new PackageCache(cache, 0), LoadMode.CACHE, ort)
            .load(ModelPackage.read(dir))
            .model()) {
      print("loaded");
      EmbeddingService.embed((TextEncoder) m, List.of("hello world"), true);
      print("first");
      for (int i = 0; i < 2; i++) {
        long t0 = System.nanoTime();
        EmbeddingService.embed((TextEncoder) m, texts, true);
        print("batch " + i + " (" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
      }
    }
  }
}
