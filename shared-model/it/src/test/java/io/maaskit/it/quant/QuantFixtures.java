package io.maaskit.it.quant;

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
import io.maaskit.tools.quant.*;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Shared by the quantization tests: the runtime, loading a package directory, comparing vectors.
 */
final class QuantFixtures {
  private QuantFixtures() {}

  /**
   * Prints each phase of a quantization (the first progress line of each new message) with the
   * seconds since this progress was made, so a test's output shows where its time went.
   */
  static Progress phases(String model) {
    long t0 = System.nanoTime();
    String[] last = {""};
    return (what, done, total) -> {
      String phase =
          what.startsWith("tensor ") || what.startsWith("file ")
              ? what.substring(0, what.indexOf(' '))
              : what.replaceAll("[0-9.]+", "#");
      if (!phase.equals(last[0])) {
        last[0] = phase;
        System.out.printf("[quant %s +%.1fs] %s%n", model, (System.nanoTime() - t0) / 1e9, what);
      }
    };
  }

  static EagerEngine runtime() {
    return EagerEngine.start(EngineOptions.defaults());
  }

  /** Loads {@code <root>/<name>/<version>} through the real loader (sizes and SHA-256 verified). */
  static TextEncoder load(Path packageDir) throws IOException {
    Path root = packageDir.getParent().getParent();
    LocalModelStore store = new LocalModelStore(root);
    Path cache = Files.createDirectories(Path.of("target", "quant-test-cache"));
    PackageLoader loader =
        new PackageLoader(store, new PackageCache(cache, 0), LoadMode.CACHE, runtime());
    return (TextEncoder) loader.load(ModelPackage.read(packageDir)).model();
  }

  /**
   * Loads a package on the engine that serves it on CPU: ONNX Runtime, from the package's compiled
   * graph (the int8 graph for an int8 package).
   */
  static TextEncoder loadServing(Path packageDir) throws IOException {
    Path root = packageDir.getParent().getParent();
    LocalModelStore store = new LocalModelStore(root);
    Path cache = Files.createDirectories(Path.of("target", "quant-test-cache"));
    Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", 0, true));
    PackageLoader loader =
        new PackageLoader(store, new PackageCache(cache, 0), LoadMode.CACHE, ort);
    TextEncoder e = (TextEncoder) loader.load(ModelPackage.read(packageDir)).model();
    if (e instanceof io.maaskit.model.arch.Explainable) {
      e.close();
      throw new AssertionError(packageDir + " did not load from its compiled graph");
    }
    return e;
  }

  /**
   * Asserts that every held-out input's int8 vector is within cosine 0.99 of the float32 one, and
   * prints the figures. Both run as graphs on ONNX Runtime, as they serve: the float32 graph's
   * parity with the eager float32 network (PyTorch) for these models is {@code OrtParityTest}'s
   * (cosine at least 0.9999 asserted, 0.99999999 measured), so it cannot hide a shortfall of the
   * int8 one here.
   */
  static void assertHeldOutWithin099(String model, TextEncoder fp32, TextEncoder int8) {
    long t0 = System.nanoTime();
    List<String> texts = CalibrationSet.heldOut().texts();
    org.junit.jupiter.api.Assertions.assertTrue(texts.size() >= 100);
    double[] c = cosines(fp32, int8, texts);
    double min = 1;
    double sum = 0;
    for (int i = 0; i < c.length; i++) {
      org.junit.jupiter.api.Assertions.assertTrue(
          c[i] >= 0.99, "held-out input " + i + " '" + texts.get(i) + "': cosine " + c[i]);
      min = Math.min(min, c[i]);
      sum += c[i];
    }
    System.out.printf(
        "%s int8 (ONNX Runtime graph) held-out: %d inputs, min %.6f, mean %.6f (%.1fs)%n",
        model, c.length, min, sum / c.length, (System.nanoTime() - t0) / 1e9);
  }

  /** Closes whichever of the encoders were opened. */
  static void close(TextEncoder... encoders) {
    for (TextEncoder e : encoders) {
      if (e != null) {
        e.close();
      }
    }
  }

  /** Per-input cosines of two encoders' vectors for the same texts. */
  static double[] cosines(TextEncoder a, TextEncoder b, List<String> texts) {
    AccuracyGate.Result r = new AccuracyGate(0.5).measure(a, b, texts, (w, d, t) -> {});
    return r.cosines();
  }

  /** Total bytes of a package's files, as the manifest records and the disk holds them. */
  static long packageBytes(Path dir) throws IOException {
    long manifestBytes = ModelPackage.read(dir).totalBytes();
    long disk = 0;
    for (var f : ModelPackage.read(dir).files()) {
      disk += Files.size(dir.resolve(f.path()));
    }
    if (disk != manifestBytes) {
      throw new AssertionError("manifest says " + manifestBytes + " bytes, disk holds " + disk);
    }
    return disk;
  }
}
