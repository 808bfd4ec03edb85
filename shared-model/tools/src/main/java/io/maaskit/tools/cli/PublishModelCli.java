package io.maaskit.tools.cli;

import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.ModelStores;
import io.maaskit.model.store.S3Settings;
import io.maaskit.model.store.S3Stores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code scripts/publish-model}: copies a sealed model package into a store (S3 or a local
 * directory).
 */
public final class PublishModelCli {
  static final String USAGE =
      """
      usage: scripts/publish-model PACKAGE_DIR TARGET [--overwrite] [--part-size SIZE] [--concurrency N]

      Publishes a model package (a directory with maas-model.json, e.g. ~/.cache/maaskit/models/NAME/VERSION)
      to TARGET as TARGET/<name>/<version>/. Files are checked against the manifest's sizes and SHA-256
      first; large files go up as parallel multipart uploads; the manifest is written last, so no reader
      ever sees a half-published version.
        TARGET             s3://bucket/prefix, or a local store directory
        --overwrite        replace the version if it already exists (otherwise refuse)
        --part-size SIZE   multipart part size, e.g. 16M (default $MAAS_S3_PART_SIZE, else 8M; S3 minimum 5M)
        --concurrency N    parts in flight (default $MAAS_S3_CONCURRENCY, else 4)

      S3 connection: the standard AWS environment (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
      AWS_REGION); AWS_ENDPOINT_URL_S3 for an S3-compatible endpoint (path-style addressing, or set
      MAAS_S3_PATH_STYLE); MAAS_S3_MAX_ATTEMPTS for retries. See docs/s3.md.

      example: scripts/publish-model ~/.cache/maaskit/models/all-minilm-l6-v2/1 s3://my-bucket/models
      """;

  private PublishModelCli() {}

  public static void main(String[] argv) {
    Args.run(
        USAGE,
        argv,
        () -> {
          Args a = Args.parse(argv, Set.of("part-size", "concurrency"), Set.of("overwrite"));
          if (a.positional().size() != 2) {
            throw new Args.UsageException("give a package directory and a target store");
          }
          Path dir = Path.of(a.positional().get(0));
          String target = a.positional().get(1);
          if (!Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
            throw new Args.UsageException(
                dir + " is not a model package: it has no " + ModelManifest.FILE);
          }
          ModelManifest m = ModelPackage.read(dir);
          if (!target.startsWith("s3://")) {
            for (PackageFile f : m.files()) { // the S3 store checks each file as it uploads it
              ModelPackage.verify(f, dir.resolve(f.path()), dir.toString());
            }
          }
          long t0 = System.nanoTime();
          try (ModelStore store = open(target, a)) {
            System.err.printf(
                "publishing %s (%d files, %.1f MB) to %s%n",
                m.id(), m.files().size(), m.totalBytes() / 1e6, store.uri());
            store.publish(dir, a.has("overwrite"), new ConsoleProgress());
            double secs = Math.max(1e-3, (System.nanoTime() - t0) / 1e9);
            System.out.printf(
                "published %s (%.1f MB) to %s%s/%s/ in %.1f s (%.1f MB/s)%n",
                m.id(),
                m.totalBytes() / 1e6,
                store.uri(),
                m.name(),
                m.version(),
                secs,
                m.totalBytes() / 1e6 / secs);
          }
        });
  }

  private static ModelStore open(String target, Args a) {
    boolean tuned = a.has("part-size") || a.has("concurrency");
    if (!target.startsWith("s3://")) {
      if (tuned) {
        throw new Args.UsageException("--part-size and --concurrency apply to s3:// targets only");
      }
      return ModelStores.open(target);
    }
    S3Settings s = Defaults.s3Settings();
    if (tuned) {
      long part = a.has("part-size") ? parseSize(a.get("part-size", null)) : s.partSizeBytes();
      s = s.withTransfer(part, a.getInt("concurrency", s.concurrency()));
    }
    return S3Stores.open(target, s);
  }

  private static long parseSize(String v) {
    try {
      return S3Settings.parseSize(v);
    } catch (IllegalArgumentException e) {
      throw new Args.UsageException(
          "--part-size must be a size like 8388608 or 16M, got '" + v + "'");
    }
  }
}
