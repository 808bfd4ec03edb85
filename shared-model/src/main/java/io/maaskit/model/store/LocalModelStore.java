package io.maaskit.model.store;

import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** A model store in a local directory: {@code <root>/<name>/<version>/}. */
public final class LocalModelStore implements ModelStore {
  private final Path root;

  public LocalModelStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** The root directory. */
  public Path root() {
    return root;
  }

  /** The directory of a package. */
  public Path dir(ModelId id) {
    return root.resolve(id.name()).resolve(id.version());
  }

  @Override
  public String uri() {
    return root.toUri().toString();
  }

  @Override
  public List<ModelId> list() throws IOException {
    List<ModelId> out = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (Stream<Path> names = Files.list(root)) {
      for (Path n : names.filter(Files::isDirectory).sorted().toList()) {
        try (Stream<Path> versions = Files.list(n)) {
          for (Path v : versions.sorted().toList()) {
            if (Files.isRegularFile(v.resolve(ModelManifest.FILE))) {
              try {
                out.add(new ModelId(n.getFileName().toString(), v.getFileName().toString()));
              } catch (RuntimeException ignored) {
                // a directory whose name is not a valid id is not a package
              }
            }
          }
        }
      }
    }
    return out;
  }

  @Override
  public ModelManifest manifest(ModelId id) throws IOException {
    Path m = dir(id).resolve(ModelManifest.FILE);
    if (!Files.isRegularFile(m)) {
      throw new ModelNotFoundException("model '" + id + "' not found in " + uri());
    }
    return ModelManifest.parse(Files.readAllBytes(m), m.toString());
  }

  @Override
  public Optional<Path> localPath(ModelId id, PackageFile file) {
    return Optional.of(dir(id).resolve(file.path()));
  }

  @Override
  public void fetch(ModelId id, PackageFile file, ByteSink sink) throws IOException {
    Path p = dir(id).resolve(file.path());
    if (!Files.isRegularFile(p)) {
      throw new ModelNotFoundException("file " + p.toUri() + " of model '" + id + "' is missing");
    }
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      long pos = 0;
      int n;
      while ((n = ch.read(buf)) > 0) {
        buf.flip();
        sink.write(pos, buf);
        pos += n;
        buf.clear();
      }
    }
  }

  @Override
  public void publish(Path packageDir, boolean overwrite, Progress progress) throws IOException {
    ModelManifest m = ModelPackage.read(packageDir);
    Path target = dir(m.id());
    if (Files.exists(target.resolve(ModelManifest.FILE)) && !overwrite) {
      throw new FileAlreadyExistsException(
          target.toString(),
          null,
          "model " + m.id() + " already exists; pass --overwrite to replace it");
    }
    Files.createDirectories(target);
    Files.deleteIfExists(target.resolve(ModelManifest.FILE));
    long total = m.totalBytes();
    long done = 0;
    for (PackageFile f : m.files()) {
      Path dst = target.resolve(f.path());
      Files.createDirectories(dst.getParent());
      Path tmp = dst.resolveSibling(dst.getFileName() + ".tmp");
      Files.copy(packageDir.resolve(f.path()), tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      done += f.size();
      progress.update(f.path(), done, total);
    }
    Path tmp = target.resolve(ModelManifest.FILE + ".tmp");
    Files.copy(packageDir.resolve(ModelManifest.FILE), tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(
        tmp,
        target.resolve(ModelManifest.FILE),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }
}
