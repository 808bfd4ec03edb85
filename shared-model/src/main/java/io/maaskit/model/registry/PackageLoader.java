package io.maaskit.model.registry;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.PackageCache;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Fetch → verify → build for one package. Every file is checked against the manifest's size and
 * SHA-256 before the architecture sees a byte of it.
 */
public final class PackageLoader {
  private final ModelStore store;
  private final PackageCache cache;
  private final LoadMode mode;
  private final EngineChoice engines;

  /** A loader whose packages each run on the engine {@code engines} picks for them. */
  public PackageLoader(ModelStore store, PackageCache cache, LoadMode mode, EngineChoice engines) {
    this.store = store;
    this.cache = cache;
    this.mode = mode;
    this.engines = engines;
  }

  /** A loader that runs every package on one engine (tools, training, tests). */
  public PackageLoader(ModelStore store, PackageCache cache, LoadMode mode, Engine runtime) {
    this(store, cache, mode, EngineChoice.fixed(runtime));
  }

  /** A loaded model and what loading it cost. */
  public record Loaded(LoadedModel model, LoadStats stats) {}

  /** How engines are chosen for the packages this loader loads. */
  public EngineChoice engines() {
    return engines;
  }

  /** Loads a package on its serving engine; on failure nothing stays loaded. */
  public Loaded load(ModelManifest manifest) throws IOException {
    return load(manifest, false);
  }

  /**
   * Loads a package; on failure nothing stays loaded.
   *
   * @param gradients on the engine that computes gradients (explanations) rather than the serving
   *     one
   */
  public Loaded load(ModelManifest manifest, boolean gradients) throws IOException {
    // Decided before any byte is fetched: a package no carried engine can run fails at once.
    Engine runtime = gradients ? engines.forGradients(manifest) : engines.forServing(manifest);
    long t0 = System.nanoTime();
    long downloaded = 0;
    long fromCache = 0;
    long local = 0;
    Map<String, ByteBuffer> files = new HashMap<>();
    String origin = store.uri() + manifest.name() + "/" + manifest.version();
    for (PackageFile f : manifest.files()) {
      Optional<Path> inPlace = store.localPath(manifest.id(), f);
      if (inPlace.isPresent()) {
        if (!java.nio.file.Files.isRegularFile(inPlace.get())) {
          throw new io.maaskit.model.error.ModelNotFoundException(
              "file " + inPlace.get().toUri() + " of model '" + manifest.id() + "' is missing");
        }
        ModelPackage.verify(f, inPlace.get(), origin);
        files.put(f.path(), map(inPlace.get()));
        local += f.size();
        continue;
      }
      PackageCache.Download download = sink -> store.fetch(manifest.id(), f, sink);
      if (mode == LoadMode.MEMORY) {
        files.put(f.path(), PackageCache.toMemory(f, origin, download));
        downloaded += f.size();
      } else {
        Path cached = cache.lookup(f);
        if (cached != null) {
          fromCache += f.size();
        } else {
          cached = cache.fill(f, origin, download);
          downloaded += f.size();
        }
        files.put(f.path(), map(cached));
      }
    }
    long t1 = System.nanoTime();
    Architecture arch = Architecture.forName(manifest.architecture());
    for (Capability c : manifest.capabilities()) {
      if (!arch.capabilities().contains(c)) {
        throw new IOException(
            "package "
                + manifest.id()
                + " declares capability '"
                + c.key()
                + "', which architecture '"
                + arch.name()
                + "' does not provide");
      }
    }
    LoadedModel model =
        arch.load(
            manifest,
            path -> {
              ByteBuffer b = files.get(path);
              if (b == null) {
                throw new IOException("package " + manifest.id() + " lacks required file " + path);
              }
              return b.duplicate();
            },
            runtime);
    long t2 = System.nanoTime();
    return new Loaded(
        model,
        new LoadStats(
            manifest.id().toString(),
            downloaded,
            fromCache,
            local,
            (t1 - t0) / 1_000_000,
            (t2 - t1) / 1_000_000));
  }

  private static ByteBuffer map(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
    }
  }
}
