package io.maaskit.tools.onnx;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.pkg.ModelManifest;
import java.io.IOException;
import java.util.ServiceLoader;

/**
 * Builds the ONNX graph of one architecture's packages, with the inputs and outputs {@link
 * io.maaskit.model.arch.EncoderGraph} names. Implementations register through {@link ServiceLoader}
 * (keyed by the manifest's {@code architecture}), so a new architecture's compiler is a new package
 * plus a line in {@code META-INF/services}.
 */
public interface GraphCompiler {
  /** The manifest's {@code architecture} this compiler handles, e.g. {@code bert}. */
  String architecture();

  /**
   * Whether this compiler can build the graph of {@code manifest}'s package (e.g. of its dtype);
   * when not, the package is written without a graph and serves on an eager engine.
   */
  default boolean compiles(ModelManifest manifest) {
    return true;
  }

  /**
   * Adds the package's forward pass to {@code graph}: inputs, every node and initializer, outputs.
   *
   * @throws IOException if a file is missing or the package is something the compiler cannot
   *     express
   */
  void build(
      ModelManifest manifest,
      Architecture.PackageFiles files,
      CompileOptions options,
      OnnxGraphBuilder graph)
      throws IOException;

  /** The compiler for an architecture, or null when none is registered. */
  static GraphCompiler forArchitecture(String name) {
    for (GraphCompiler c :
        ServiceLoader.load(GraphCompiler.class, GraphCompiler.class.getClassLoader())) {
      if (c.architecture().equals(name)) {
        return c;
      }
    }
    return null;
  }
}
