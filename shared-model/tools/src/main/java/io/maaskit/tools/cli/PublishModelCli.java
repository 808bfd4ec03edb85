package io.maaskit.tools.cli;

import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.S3Settings;
import io.maaskit.model.store.S3Stores;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code scripts/publish-model}: copies a sealed model package into a store (S3 or a local
 * directory).
 */
@Command(
    name = "scripts/publish-model",
    sortOptions = false,
    description = {
      "Publishes a model package (a directory with maas-model.json, e.g.",
      "~/.cache/maaskit/models/NAME/VERSION) to TARGET as TARGET/<name>/<version>/. Files are checked",
      "against the manifest's sizes and SHA-256 first; large files go up as parallel multipart",
      "uploads; the manifest is written last, so no reader ever sees a half-published version.",
      ""
    },
    footer = {
      "",
      "S3 connection: the standard AWS environment (AWS_PROFILE or AWS_ACCESS_KEY_ID/",
      "AWS_SECRET_ACCESS_KEY, AWS_REGION); AWS_ENDPOINT_URL_S3 for an S3-compatible endpoint",
      "(path-style addressing, or set MAAS_S3_PATH_STYLE); MAAS_S3_MAX_ATTEMPTS for retries.",
      "See docs/s3.md.",
      "",
      "example: scripts/publish-model ~/.cache/maaskit/models/all-minilm-l6-v2/1 s3://my-bucket/models"
    })
public final class PublishModelCli extends CliCommand {
  @Parameters(index = "0", paramLabel = "PACKAGE_DIR", description = "the package directory")
  Path dir;

  @Parameters(
      index = "1",
      paramLabel = "TARGET",
      description = "s3://bucket/prefix, or a local store directory")
  String target;

  @Option(
      names = "--overwrite",
      description = "replace the version if it already exists (otherwise refuse)")
  boolean overwrite;

  @Option(
      names = "--part-size",
      paramLabel = "SIZE",
      converter = SizeConverter.class,
      description = {
        "multipart part size, e.g. 16M",
        "(default $MAAS_S3_PART_SIZE, else 8M; S3 minimum 5M)"
      })
  Long partSize;

  @Option(
      names = "--concurrency",
      paramLabel = "N",
      description = "parts in flight (default $MAAS_S3_CONCURRENCY, else 4)")
  Integer concurrency;

  public static void main(String[] args) {
    Cli.exit(new PublishModelCli(), args);
  }

  @Override
  void run() throws Exception {
    if (!Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      throw new UsageException(dir + " is not a model package: it has no " + ModelManifest.FILE);
    }
    ModelManifest m = ModelPackage.read(dir);
    if (!target.startsWith("s3://")) {
      for (PackageFile f : m.files()) { // the S3 store checks each file as it uploads it
        ModelPackage.verify(f, dir.resolve(f.path()), dir.toString());
      }
    }
    long t0 = System.nanoTime();
    try (ModelStore store = open()) {
      System.err.printf(
          "publishing %s (%d files, %.1f MB) to %s%n",
          m.id(), m.files().size(), m.totalBytes() / 1e6, store.uri());
      store.publish(dir, overwrite, new ConsoleProgress());
      double secs = Math.max(1e-3, (System.nanoTime() - t0) / 1e9);
      out()
          .printf(
              "published %s (%.1f MB) to %s%s/%s/ in %.1f s (%.1f MB/s)%n",
              m.id(),
              m.totalBytes() / 1e6,
              store.uri(),
              m.name(),
              m.version(),
              secs,
              m.totalBytes() / 1e6 / secs);
    }
  }

  private ModelStore open() {
    boolean tuned = partSize != null || concurrency != null;
    if (!target.startsWith("s3://")) {
      if (tuned) {
        throw new UsageException("--part-size and --concurrency apply to s3:// targets only");
      }
      return Defaults.openStore(target);
    }
    S3Settings s = Defaults.s3Settings();
    if (tuned) {
      s =
          s.withTransfer(
              partSize != null ? partSize : s.partSizeBytes(),
              concurrency != null ? concurrency : s.concurrency());
    }
    return S3Stores.open(target, s);
  }

  /** {@code 8388608}, {@code 16M}, ... as bytes, with a message naming the expected form. */
  static final class SizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String v) {
      try {
        return S3Settings.parseSize(v);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("must be a size like 8388608 or 16M, got '" + v + "'");
      }
    }
  }
}
