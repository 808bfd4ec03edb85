package io.maaskit.tools.cli;

import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.store.ModelStore;
import io.maaskit.tools.importer.HfDirectoryImporter;
import io.maaskit.tools.importer.ImportOptions;
import io.maaskit.tools.importer.OnnxBertImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code scripts/import-model}: ONNX export or Hugging Face directory → model package in a store.
 */
public final class ImportModelCli {
  static final String USAGE =
      """
      usage: scripts/import-model (--onnx FILE --tokenizer FILE | --hf-dir DIR | --builtin NAME)
                                  [--name NAME] [--version V] [--pooling mean|cls] [--no-normalize]
                                  [--max-length N] [--store PATH|s3://bucket/prefix] [--overwrite]

      Turns a BERT-family encoder into a model package and publishes it to a store.
        --onnx FILE        Hugging Face-style ONNX export (float32, or ONNX Runtime dynamic int8)
        --tokenizer FILE   its tokenizer.json
        --hf-dir DIR       Hugging Face directory: config.json + model.safetensors + tokenizer.json
        --builtin NAME     an encoder shipped in a Maven Central jar: all-minilm-l6-v2(-q),
                           bge-small-en-v1.5(-q), e5-small-v2(-q)
        --name NAME        package name (default: the builtin name, or the file/dir name)
        --version V        package version (default 1)
        --pooling P        mean or cls (default: detected, else mean)
        --no-normalize     do not L2-normalize embeddings by default
        --max-length N     truncate inputs to N tokens (default: the model's maximum)
        --store LOC        target store (default $MAAS_MODEL_STORE, else ~/.cache/maaskit/models)
        --overwrite        replace an existing version
      """;

  private ImportModelCli() {}

  public static void main(String[] argv) {
    Args.run(
        USAGE,
        argv,
        () -> {
          Args a =
              Args.parse(
                  argv,
                  Set.of(
                      "onnx",
                      "tokenizer",
                      "hf-dir",
                      "builtin",
                      "name",
                      "version",
                      "pooling",
                      "max-length",
                      "store"),
                  Set.of("no-normalize", "overwrite"));
          int sources =
              (a.has("onnx") ? 1 : 0) + (a.has("hf-dir") ? 1 : 0) + (a.has("builtin") ? 1 : 0);
          if (sources != 1) {
            throw new Args.UsageException("give exactly one of --onnx, --hf-dir, --builtin");
          }
          String pooling = a.get("pooling", null);
          if (pooling != null && !pooling.equals("mean") && !pooling.equals("cls")) {
            throw new Args.UsageException("--pooling must be mean or cls");
          }
          Integer maxLen = a.has("max-length") ? a.getInt("max-length", 0) : null;
          Path staging = Files.createTempDirectory("maas-import-");
          ConsoleProgress progress = new ConsoleProgress();
          ModelManifest m;
          if (a.has("builtin")) {
            String b = a.get("builtin", null);
            Path[] files = Builtins.extract(b, staging.resolve("src"));
            String name = a.get("name", b);
            m =
                OnnxBertImporter.importModel(
                    files[0],
                    files[1],
                    staging.resolve("pkg"),
                    new ImportOptions(
                        name,
                        a.get("version", "1"),
                        pooling == null ? Builtins.POOLING.get(b) : pooling,
                        !a.has("no-normalize"),
                        maxLen == null ? Builtins.MAX_LENGTH.get(b) : maxLen),
                    progress);
          } else if (a.has("onnx")) {
            if (!a.has("tokenizer")) {
              throw new Args.UsageException("--onnx needs --tokenizer");
            }
            Path onnx = Path.of(a.get("onnx", null));
            String name =
                a.get(
                    "name",
                    onnx.getFileName().toString().replaceFirst("\\.onnx$", "").toLowerCase());
            m =
                OnnxBertImporter.importModel(
                    onnx,
                    Path.of(a.get("tokenizer", null)),
                    staging.resolve("pkg"),
                    new ImportOptions(
                        name, a.get("version", "1"), pooling, !a.has("no-normalize"), maxLen),
                    progress);
          } else {
            Path dir = Path.of(a.get("hf-dir", null));
            String name = a.get("name", dir.getFileName().toString().toLowerCase());
            m =
                HfDirectoryImporter.importModel(
                    dir,
                    staging.resolve("pkg"),
                    new ImportOptions(
                        name, a.get("version", "1"), pooling, !a.has("no-normalize"), maxLen),
                    progress);
          }
          String storeLoc = a.get("store", Defaults.store());
          try (ModelStore store = Defaults.openStore(storeLoc)) {
            store.publish(staging.resolve("pkg"), a.has("overwrite"), progress);
            System.out.printf(
                "imported %s (%s, %s, %.1f MB) into %s%n",
                m.id(), m.task(), m.dtype(), m.totalBytes() / 1e6, store.uri());
          } finally {
            deleteRecursively(staging);
          }
        });
  }

  static void deleteRecursively(Path p) throws java.io.IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }
}
