package io.maaskit.model.arch;

import io.maaskit.model.engine.Engine;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * One model architecture (the manifest's {@code architecture} key). Implementations register
 * through {@link ServiceLoader}, so a new architecture is a new package plus one line in {@code
 * META-INF/services}, not a new branch elsewhere.
 */
public interface Architecture {
  /** The manifest key, e.g. {@code bert}. */
  String name();

  /** Hugging Face {@code config.json} {@code model_type} values this architecture loads. */
  Set<String> huggingFaceModelTypes();

  /** The capabilities this architecture can provide; a manifest may declare a subset. */
  Set<Capability> capabilities();

  /** Builds a runnable model from verified package files; on failure nothing stays allocated. */
  LoadedModel load(ModelManifest manifest, PackageFiles files, Engine engine) throws IOException;

  /**
   * The tensor layout of a package of this architecture (from its config and weights): every tensor
   * the architecture expects, whether or not the weights have it.
   */
  TensorLayout layout(PackageFiles files) throws IOException;

  /** Verified bytes of a package's files. */
  @FunctionalInterface
  interface PackageFiles {
    /** The bytes of {@code path}; throws if the package lacks it. */
    ByteBuffer bytes(String path) throws IOException;
  }

  /** Finds the architecture that loads a Hugging Face {@code model_type}. */
  static Architecture forHuggingFace(String modelType) {
    java.util.List<String> known = new java.util.ArrayList<>();
    for (Architecture a :
        ServiceLoader.load(Architecture.class, Architecture.class.getClassLoader())) {
      if (a.huggingFaceModelTypes().contains(modelType)) {
        return a;
      }
      known.addAll(a.huggingFaceModelTypes());
    }
    throw new IllegalArgumentException(
        "unsupported model_type '" + modelType + "'; supported: " + String.join(", ", known));
  }

  /** Finds the architecture for a manifest key. */
  static Architecture forName(String name) {
    for (Architecture a :
        ServiceLoader.load(Architecture.class, Architecture.class.getClassLoader())) {
      if (a.name().equals(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unsupported architecture '" + name + "'");
  }
}
