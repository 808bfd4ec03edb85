package io.maaskit.model.pkg;

import io.maaskit.model.error.IntegrityException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A model package on local disk: a directory with {@value ModelManifest#FILE}, {@code config.json},
 * {@code tokenizer.json} and safetensors weights. Writing hashes every file and writes the manifest
 * last, so a reader never sees a manifest for files that are not complete.
 *
 * <pre>{@code
 * ModelManifest m = ModelPackage.seal(dir, draft);   // hashes files, writes maas-model.json
 * ModelManifest again = ModelPackage.read(dir);       // parses and verifies every file
 * }</pre>
 */
public final class ModelPackage {
  private ModelPackage() {}

  /**
   * Hashes every regular file in {@code dir} (except the manifest), records them in the draft
   * manifest and writes it atomically.
   */
  public static ModelManifest seal(Path dir, ModelManifest draft) throws IOException {
    List<PackageFile> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        String rel = dir.relativize(p).toString().replace('\\', '/');
        if (rel.equals(ModelManifest.FILE) || rel.endsWith(".tmp")) {
          continue;
        }
        files.add(new PackageFile(rel, Files.size(p), sha256(p)));
      }
    }
    ModelManifest sealed = draft.withFiles(files);
    byte[] json = sealed.toJson();
    ModelManifest.parse(json, dir.toString()); // validate before publishing it
    Path tmp = dir.resolve(ModelManifest.FILE + ".tmp");
    Files.write(tmp, json);
    Files.move(
        tmp,
        dir.resolve(ModelManifest.FILE),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    return ModelManifest.parse(json, dir.toString());
  }

  /** Reads the manifest of a package directory (does not verify files). */
  public static ModelManifest read(Path dir) throws IOException {
    Path m = dir.resolve(ModelManifest.FILE);
    if (!Files.isRegularFile(m)) {
      throw new IOException(dir + " is not a model package: " + ModelManifest.FILE + " is missing");
    }
    return ModelManifest.parse(Files.readAllBytes(m), m.toString());
  }

  /** Verifies size and SHA-256 of {@code file} against its manifest entry. */
  public static void verify(PackageFile expected, Path file, String origin) throws IOException {
    long size = Files.size(file);
    if (size != expected.size()) {
      throw new IntegrityException(
          origin
              + ": size mismatch for "
              + expected.path()
              + ": manifest says "
              + expected.size()
              + " bytes, found "
              + size);
    }
    check(expected, sha256(file), origin);
  }

  /** Verifies size and SHA-256 of in-memory bytes against a manifest entry. */
  public static void verify(PackageFile expected, ByteBuffer data, String origin) {
    if (data.remaining() != expected.size()) {
      throw new IntegrityException(
          origin
              + ": size mismatch for "
              + expected.path()
              + ": manifest says "
              + expected.size()
              + " bytes, got "
              + data.remaining());
    }
    check(expected, sha256(data), origin);
  }

  private static void check(PackageFile expected, String actual, String origin) {
    if (!actual.equals(expected.sha256())) {
      throw new IntegrityException(
          origin
              + ": SHA-256 mismatch for "
              + expected.path()
              + ": manifest says "
              + expected.sha256()
              + ", content has "
              + actual);
    }
  }

  /** Lower-case hex SHA-256 of a file. */
  public static String sha256(Path file) throws IOException {
    MessageDigest md = digest();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Lower-case hex SHA-256 of the remaining bytes of a buffer (position unchanged). */
  public static String sha256(ByteBuffer data) {
    MessageDigest md = digest();
    md.update(data.duplicate());
    return HexFormat.of().formatHex(md.digest());
  }

  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
