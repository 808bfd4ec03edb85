package io.maaskit.it.onnx;

import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.registry.EngineChoice;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.testing.TestTexts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Both engines, loading one package on either, and the parity inputs. */
final class OrtFixtures {
  private OrtFixtures() {}

  static EagerEngine pytorch() {
    return EagerEngine.start(new EngineOptions("pytorch", "cpu", 0, true));
  }

  static Engine onnxRuntime() {
    return Engine.start(new EngineOptions("onnxruntime", "cpu", 0, true));
  }

  /** Loads {@code <root>/<name>/<version>} through the real loader on {@code engine}. */
  static LoadedModel load(Path packageDir, Engine engine) throws IOException {
    return load(packageDir, EngineChoice.fixed(engine));
  }

  /** Loads {@code <root>/<name>/<version>} through the real loader, engines chosen by {@code c}. */
  static LoadedModel load(Path packageDir, EngineChoice c) throws IOException {
    Path root = packageDir.getParent().getParent();
    LocalModelStore store = new LocalModelStore(root);
    Path cache = Files.createDirectories(Path.of("target", "ort-test-cache"));
    PackageLoader loader = new PackageLoader(store, new PackageCache(cache, 0), LoadMode.CACHE, c);
    return loader.load(ModelPackage.read(packageDir)).model();
  }

  /**
   * The shared varied inputs plus long multi-sentence ones near and past 512 tokens (which the
   * 512-token models truncate), and punctuation-heavy and mixed-script ones.
   */
  static List<String> inputs() {
    List<String> t = new ArrayList<>(TestTexts.varied());
    StringBuilder near = new StringBuilder();
    for (int i = 0; near.length() < 2000; i++) {
      near.append("Paragraph ")
          .append(i)
          .append(": the cache verifies every file, then the engine maps it. ");
    }
    t.add(near.toString());
    StringBuilder past = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      past.append("Token ").append(i).append(", and more; ");
    }
    t.add(past.toString());
    t.add("First sentence. Second one! A third? And — finally — a fourth, with an em dash…");
    t.add("Mixed: English, Deutsch (Straße), 한국어, हिन्दी, and עברית in one line.");
    t.add("\"Quoted\" 'single' `backtick` «guillemets» „low-high“");
    return t;
  }
}
