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

  /**
   * The registered compilers. One that cannot be loaded (a class-loader split, as in a Quarkus test
   * JVM, makes a provider "not a subtype") is skipped with a warning: the package then serves on
   * PyTorch only, which is what a package without a graph does anyway.
   */
  static List<PackageCompiler> registered() {
    List<PackageCompiler> out = new java.util.ArrayList<>();
    java.util.Iterator<PackageCompiler> it =
        ServiceLoader.load(PackageCompiler.class, PackageCompiler.class.getClassLoader())
            .iterator();
    while (true) {
      try {
        if (!it.hasNext()) {
          return out;
        }
        out.add(it.next());
      } catch (java.util.ServiceConfigurationError e) {
        org.slf4j.LoggerFactory.getLogger(PackageCompiler.class)
            .warn("skipping a package compiler that cannot be loaded here: {}", e.getMessage());
      }
    }
  }
}
