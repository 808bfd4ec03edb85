package io.maaskit.model.arch;

import io.maaskit.model.engine.Engine;
import io.maaskit.model.pkg.ModelManifest;

/**
 * A model whose weights are in engine memory, ready to run. Tasks ask for the capability they need
 * ({@link TextEncoder}, {@link TextClassifier}); closing frees the native memory.
 */
public interface LoadedModel extends AutoCloseable {
  /** The manifest the model was loaded from. */
  ModelManifest manifest();

  /** The engine that runs it. */
  Engine engine();

  /** Bytes of weights held in engine memory (for the registry's memory budget). */
  long weightBytes();

  @Override
  void close();
}
