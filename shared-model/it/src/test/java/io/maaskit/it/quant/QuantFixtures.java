package io.maaskit.it.quant;

import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.PackageCache;
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

  static Engine runtime() {
    return Engine.start(EngineOptions.defaults());
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
