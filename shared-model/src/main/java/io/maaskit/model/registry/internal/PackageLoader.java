package io.maaskit.model.registry.internal;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.registry.EngineChoice;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.LoadStats;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.internal.PackageCache;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Fetch → verify → build for one package, on the engine its {@link EngineChoice} picks. Every file
 * is checked against the manifest's size and SHA-256 before the architecture sees a byte of it.
 * Files are fetched when the architecture first asks for them, so a load pulls only what the model
 * needs on this engine: a package served from its compiled graph never downloads its safetensors,
 * one served eagerly never downloads the graph.
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
    Fetched fetched = new Fetched(manifest);
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
    // Files are fetched when the architecture asks for them: a package carries both a compiled
    // graph and eager weights, and each engine reads only one of them.
    LoadedModel model = arch.load(manifest, fetched::bytes, runtime);
    long t2 = System.nanoTime();
    long fetchMillis = fetched.nanos / 1_000_000;
    return new Loaded(
        model,
        new LoadStats(
            manifest.id().toString(),
            fetched.downloaded,
            fetched.fromCache,
            fetched.local,
            fetchMillis,
            Math.max(0, (t2 - t0) / 1_000_000 - fetchMillis)));
  }

  /**
   * Bytes a load of {@code manifest} holds in memory, before loading it (for the registry's memory
   * budget): the files of the form its engine runs (the compiled graph, or the eager weights),
   * never both.
   *
   * @throws io.maaskit.model.error.NotSupportedException if no engine here can run the package
   */
  public long expectedBytes(ModelManifest manifest, boolean gradients) {
    long total = 0;
    for (String path : filesToFetch(manifest, gradients)) {
      total += manifest.file(path).size();
    }
    return total;
  }

  /**
   * The files a load of {@code manifest} reads: those of the {@link Architecture.Form form} its
   * engine runs ({@link Architecture.Form#reads}).
   *
   * @param gradients on the engine that computes gradients rather than the serving one
   * @throws io.maaskit.model.error.NotSupportedException if no engine here can run the package
   */
  public Set<String> filesToFetch(ModelManifest manifest, boolean gradients) {
    Architecture.Form form = engines.form(manifest, gradients);
    Set<String> out = new LinkedHashSet<>();
    for (PackageFile f : manifest.files()) {
      if (form.reads(f.path())) {
        out.add(f.path());
      }
    }
    return out;
  }

  /** The package's files, fetched and verified on first request, and what that cost. */
  private final class Fetched {
    private final ModelManifest manifest;
    private final String origin;
    private final Map<String, ByteBuffer> files = new HashMap<>();
    long downloaded;
    long fromCache;
    long local;
    long nanos;

    Fetched(ModelManifest manifest) {
      this.manifest = manifest;
      this.origin = store.uri() + manifest.name() + "/" + manifest.version();
    }

    ByteBuffer bytes(String path) throws IOException {
      ByteBuffer b = files.get(path);
      if (b == null) {
        PackageFile f = manifest.file(path);
        if (f == null) {
          throw new IOException("package " + manifest.id() + " lacks required file " + path);
        }
        long t0 = System.nanoTime();
        b = fetch(f);
        nanos += System.nanoTime() - t0;
        files.put(path, b);
      }
      return b.duplicate();
    }

    private ByteBuffer fetch(PackageFile f) throws IOException {
      Optional<Path> inPlace = store.localPath(manifest.id(), f);
      if (inPlace.isPresent()) {
        if (!java.nio.file.Files.isRegularFile(inPlace.get())) {
          throw new io.maaskit.model.error.ModelNotFoundException(
              "file " + inPlace.get().toUri() + " of model '" + manifest.id() + "' is missing");
        }
        ModelPackage.verify(f, inPlace.get(), origin);
        local += f.size();
        return map(inPlace.get());
      }
      PackageCache.Download download = sink -> store.fetch(manifest.id(), f, sink);
      if (mode == LoadMode.MEMORY) {
        downloaded += f.size();
        return PackageCache.toMemory(f, origin, download);
      }
      Path cached = cache.lookup(f);
      if (cached != null) {
        fromCache += f.size();
      } else {
        cached = cache.fill(f, origin, download);
        downloaded += f.size();
      }
      return map(cached);
    }
  }

  private static ByteBuffer map(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
    }
  }
}
