package io.maaskit.training;

import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.store.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Adds engine artifacts (an ONNX graph) to a package directory that training has just written,
 * before it is sealed. Registered through {@link ServiceLoader} by the tooling module, so a trained
 * package gets a graph wherever that module is on the classpath (the CLI, the test fixtures) and
 * serves on PyTorch only where it is not.
 */
public interface PackageCompiler {
  /**
   * Writes the artifacts into {@code dir} for a package described by {@code draft}; must leave the
   * other files untouched.
   */
  void compile(Path dir, ModelManifest draft, Progress progress) throws IOException;

  /** The registered compilers. */
  static List<PackageCompiler> registered() {
    return ServiceLoader.load(PackageCompiler.class, PackageCompiler.class.getClassLoader())
        .stream()
        .map(ServiceLoader.Provider::get)
        .toList();
  }
}
