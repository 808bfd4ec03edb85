package io.maaskit.model.store;

import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.PackageFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where model packages live: a local directory or an object-store prefix. Layout under the root:
 * {@code <name>/<version>/maas-model.json} plus the package's files.
 *
 * <pre>{@code
 * ModelStore store = ModelStores.open("s3://bucket/models");   // or a local path
 * ModelManifest m = store.manifest(store.resolve(ModelId.parse("all-minilm-l6-v2")));
 * }</pre>
 */
public interface ModelStore extends AutoCloseable {

  /** The store's URI ({@code file:/...} or {@code s3://bucket/prefix}). */
  String uri();

  /** Every published package (name and version), sorted. */
  List<ModelId> list() throws IOException;

  /**
   * Resolves a reference to a concrete version: the given one, or the highest published version.
   *
   * @throws io.maaskit.model.error.ModelNotFoundException if nothing matches
   */
  default ModelId resolve(ModelId ref) throws IOException {
    if (ref.version() != null) {
      return ref;
    }
    return list().stream()
        .filter(id -> id.name().equals(ref.name()))
        .max((a, b) -> Versions.compare(a.version(), b.version()))
        .orElseThrow(
            () ->
                new io.maaskit.model.error.ModelNotFoundException(
                    "model '" + ref.name() + "' not found in " + uri()));
  }

  /**
   * Reads a package's manifest.
   *
   * @throws io.maaskit.model.error.ModelNotFoundException naming the URI if it is not there
   */
  ModelManifest manifest(ModelId id) throws IOException;

  /** Copies one file of a package into {@code sink}; writes exactly {@code file.size()} bytes. */
  void fetch(ModelId id, PackageFile file, ByteSink sink) throws IOException;

  /** A path to read the file in place, for stores that are already local. */
  default Optional<Path> localPath(ModelId id, PackageFile file) {
    return Optional.empty();
  }

  /**
   * Publishes a sealed package directory: files first, manifest last.
   *
   * @param overwrite replace an existing version; otherwise refuse
   */
  void publish(Path packageDir, boolean overwrite, Progress progress) throws IOException;

  /**
   * Replaces network clients (credentials, connection pools), e.g. after a SnapStart restore where
   * every restored copy would otherwise share the snapshot's. No-op for local stores.
   */
  default void refreshClients() {}

  @Override
  default void close() {}
}
