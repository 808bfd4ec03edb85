package io.maaskit.model.store.internal;

import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.store.ByteSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local, content-addressed cache of package files: {@code <dir>/<sha256>}. A file enters only
 * after its SHA-256 was verified, through a temp file and an atomic rename, so a partial download
 * is never visible. Two versions sharing a file share one cache entry. When the cache grows past
 * its budget, least-recently-used entries are evicted.
 */
public final class PackageCache {
  private static final Logger LOG = LoggerFactory.getLogger(PackageCache.class);
  private final Path dir;
  private final long budgetBytes;

  /**
   * @param dir cache directory (created if missing)
   * @param budgetBytes size budget; 0 or negative for unlimited
   */
  public PackageCache(Path dir, long budgetBytes) {
    this.dir = dir;
    this.budgetBytes = budgetBytes;
  }

  /** The cache directory. */
  public Path dir() {
    return dir;
  }

  /** The cached copy of a file if present with the right size (its hash was checked on entry). */
  public Path lookup(PackageFile file) throws IOException {
    Path p = dir.resolve(file.sha256());
    if (Files.isRegularFile(p) && Files.size(p) == file.size()) {
      Files.setLastModifiedTime(p, FileTime.from(Instant.now()));
      return p;
    }
    return null;
  }

  /**
   * Downloads into a temp file through {@code download}, verifies it, then renames it into place.
   * On any failure the temp file is deleted and nothing enters the cache.
   */
  public Path fill(PackageFile file, String origin, Download download) throws IOException {
    Files.createDirectories(dir);
    evictFor(file.size());
    Path tmp = Files.createTempFile(dir, file.sha256() + ".", ".part");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        download.into(
            (pos, src) -> {
              long p = pos;
              while (src.hasRemaining()) {
                p += ch.write(src, p);
              }
            });
      }
      ModelPackage.verify(file, tmp, origin);
      Path target = dir.resolve(file.sha256());
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Fills a sink; implemented by stores. */
  @FunctionalInterface
  public interface Download {
    void into(ByteSink sink) throws IOException;
  }

  /** Downloads straight into memory (no disk), verified; for Lambda SnapStart's small /tmp. */
  public static ByteBuffer toMemory(PackageFile file, String origin, Download download)
      throws IOException {
    if (file.size() > Integer.MAX_VALUE - 8) {
      throw new IOException(
          file.path()
              + " is "
              + file.size()
              + " bytes, over the 2 GiB limit of memory mode; use the disk cache");
    }
    ByteBuffer buf = ByteBuffer.allocateDirect((int) file.size());
    download.into(
        (pos, src) -> {
          ByteBuffer dst = buf.duplicate();
          dst.position(Math.toIntExact(pos));
          dst.put(src);
        });
    ModelPackage.verify(file, buf, origin);
    return buf;
  }

  private synchronized void evictFor(long incoming) throws IOException {
    if (budgetBytes <= 0) {
      return;
    }
    List<Path> entries = new ArrayList<>();
    long used = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (Files.isRegularFile(p) && p.getFileName().toString().matches("[0-9a-f]{64}")) {
          entries.add(p);
          used += Files.size(p);
        }
      }
    }
    entries.sort(
        Comparator.comparing(
            p -> {
              try {
                return Files.getLastModifiedTime(p);
              } catch (IOException e) {
                return FileTime.fromMillis(0);
              }
            }));
    for (Path p : entries) {
      if (used + incoming <= budgetBytes) {
        break;
      }
      long size = Files.size(p);
      Files.deleteIfExists(p);
      used -= size;
      LOG.info(
          "cache evicted {} ({} bytes) to stay within {} bytes",
          p.getFileName(),
          size,
          budgetBytes);
    }
  }
}
