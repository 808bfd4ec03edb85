package io.maaskit.model.registry;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.EncoderGraph;
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
 * SHA-256 before the architecture sees a byte of it. Files are fetched when the architecture first
 * asks for them, so a load pulls only what the model needs on this engine: a package served from
 * its compiled graph never downloads its safetensors, one served on PyTorch never downloads the
 * graph.
 */
public final class PackageLoader {
  private final ModelStore store;
  private final PackageCache cache;
  private final LoadMode mode;
  private final Engine runtime;

  public PackageLoader(ModelStore store, PackageCache cache, LoadMode mode, Engine runtime) {
    this.store = store;
    this.cache = cache;
    this.mode = mode;
    this.runtime = runtime;
  }

  /**
   * The bytes a load of {@code manifest} is expected to bring into memory, known before fetching:
   * on an engine that runs compiled graphs, the graph and every file but the safetensors; on an
   * eager engine, every file but the graph. For the registry's memory budget.
   */
  public long expectedBytes(ModelManifest manifest) {
    PackageFile graph = manifest.file(EncoderGraph.FILE);
    if (graph == null) {
      return manifest.totalBytes();
    }
    if (!runtime.runsGraphs()) {
      return manifest.totalBytes() - graph.size();
    }
    long bytes = 0;
    for (PackageFile f : manifest.files()) {
      if (!f.path().endsWith(".safetensors")) {
        bytes += f.size();
      }
    }
    return bytes;
  }

  /** A loaded model and what loading it cost. */
  public record Loaded(LoadedModel model, LoadStats stats) {}

  /** Loads a package; on failure nothing stays loaded. */
  public Loaded load(ModelManifest manifest) throws IOException {
    long t0 = System.nanoTime();
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
    LazyFiles files = new LazyFiles(manifest);
    LoadedModel model = arch.load(manifest, files::bytes, runtime);
    long total = System.nanoTime() - t0;
    return new Loaded(
        model,
        new LoadStats(
            manifest.id().toString(),
            files.downloaded,
            files.fromCache,
            files.local,
            files.fetchNanos / 1_000_000,
            (total - files.fetchNanos) / 1_000_000));
  }

  /** The package's files, each fetched and verified on first use; counts what that cost. */
  private final class LazyFiles {
    private final ModelManifest manifest;
    private final String origin;
    private final Map<String, ByteBuffer> fetched = new HashMap<>();
    long downloaded;
    long fromCache;
    long local;
    long fetchNanos;

    LazyFiles(ModelManifest manifest) {
      this.manifest = manifest;
      this.origin = store.uri() + manifest.name() + "/" + manifest.version();
    }

    ByteBuffer bytes(String path) throws IOException {
      ByteBuffer b = fetched.get(path);
      if (b == null) {
        PackageFile f = manifest.file(path);
        if (f == null) {
          throw new IOException("package " + manifest.id() + " lacks required file " + path);
        }
        long t = System.nanoTime();
        b = fetch(f);
        fetchNanos += System.nanoTime() - t;
        fetched.put(path, b);
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
        ByteBuffer b = PackageCache.toMemory(f, origin, download);
        downloaded += f.size();
        return b;
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
