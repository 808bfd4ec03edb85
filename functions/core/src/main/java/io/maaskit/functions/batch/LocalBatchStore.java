package io.maaskit.functions.batch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A {@link BatchStore} in a directory, for the embedded server: every write lands in a temporary
 * file first and is moved into place atomically, so a reader never sees half an object and a crash
 * leaves none. Conditional writes are serialised in this process (one server owns the directory).
 */
public final class LocalBatchStore implements BatchStore {
  private final Path root;
  private final Object lock = new Object();

  public LocalBatchStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  private Path path(String key) {
    Path p = root.resolve(key).normalize();
    if (!p.startsWith(root) || key.isEmpty()) {
      throw new IllegalArgumentException("key '" + key + "' leaves the store");
    }
    return p;
  }

  private Path temp(Path target) throws IOException {
    Files.createDirectories(target.getParent());
    return Files.createTempFile(target.getParent(), ".tmp-", "");
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Override
  public void put(String key, byte[] data) throws IOException {
    Path target = path(key);
    Path t = temp(target);
    try {
      Files.write(t, data);
      move(t, target);
    } finally {
      Files.deleteIfExists(t);
    }
  }

  @Override
  public void put(String key, Path file) throws IOException {
    Path target = path(key);
    Path t = temp(target);
    try {
      Files.copy(file, t, StandardCopyOption.REPLACE_EXISTING);
      move(t, target);
    } finally {
      Files.deleteIfExists(t);
    }
  }

  @Override
  public boolean create(String key, byte[] data) throws IOException {
    Path target = path(key);
    Path t = temp(target);
    try {
      Files.write(t, data);
      synchronized (lock) {
        try {
          // A hard link fails when the target exists: first writer wins, atomically.
          Files.createLink(target, t);
          return true;
        } catch (FileAlreadyExistsException e) {
          return false;
        } catch (UnsupportedOperationException e) {
          if (Files.exists(target)) {
            return false;
          }
          move(t, target);
          return true;
        }
      }
    } finally {
      Files.deleteIfExists(t);
    }
  }

  @Override
  public boolean replace(String key, byte[] data, String version) throws IOException {
    synchronized (lock) {
      Stored now = get(key);
      if (now == null || !now.version().equals(version)) {
        return false;
      }
      put(key, data);
      return true;
    }
  }

  @Override
  public Stored get(String key) throws IOException {
    try {
      byte[] data = Files.readAllBytes(path(key));
      return new Stored(data, digest(data));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static String digest(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public InputStream open(String key) throws IOException {
    try {
      return Files.newInputStream(path(key));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    int slash = prefix.lastIndexOf('/');
    Path dir = slash < 0 ? root : path(prefix.substring(0, slash));
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith(".tmp-"))
          .map(p -> root.relativize(p).toString().replace('\\', '/'))
          .filter(k -> k.startsWith(prefix))
          .sorted()
          .toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public void delete(String key) throws IOException {
    Files.deleteIfExists(path(key));
  }

  @Override
  public String location() {
    return root.toString();
  }
}
