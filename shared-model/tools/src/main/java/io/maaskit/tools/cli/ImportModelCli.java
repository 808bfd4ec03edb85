package io.maaskit.tools.cli;

import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.store.ModelStore;
import io.maaskit.tools.importer.HfDirectoryImporter;
import io.maaskit.tools.importer.ImportOptions;
import io.maaskit.tools.importer.OnnxBertImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scripts/import-model}: ONNX export or Hugging Face directory → model package in a store.
 */
@Command(
    name = "scripts/import-model",
    sortOptions = false,
    description = {
      "Turns a BERT-family encoder, or a decoder (Llama, Mistral, Qwen2, GPT-2) from a Hugging Face",
      "directory, into a model package and publishes it to a store.",
      ""
    })
public final class ImportModelCli extends CliCommand {
  /** Where the encoder comes from: exactly one. */
  static final class Source {
    @ArgGroup(exclusive = false, multiplicity = "1")
    Onnx onnx;

    @Option(
        names = "--hf-dir",
        paramLabel = "DIR",
        description = {
          "Hugging Face directory: config.json + tokenizer.json + model.safetensors (or shards",
          "with model.safetensors.index.json); decoders also copy generation_config.json and",
          "tokenizer_config.json (fp32, bf16 or fp16 weights, kept as stored)"
        })
    Path hfDir;

    @Option(
        names = "--builtin",
        paramLabel = "NAME",
        description = {
          "an encoder shipped in a Maven Central jar: all-minilm-l6-v2(-q),",
          "bge-small-en-v1.5(-q), e5-small-v2(-q)"
        })
    String builtin;
  }

  /** An ONNX export and its tokenizer. */
  static final class Onnx {
    @Option(
        names = "--onnx",
        required = true,
        paramLabel = "FILE",
        description = "Hugging Face-style ONNX export (float32, or ONNX Runtime dynamic int8)")
    Path file;

    @Option(
        names = "--tokenizer",
        required = true,
        paramLabel = "FILE",
        description = "its tokenizer.json")
    Path tokenizer;
  }

  /** Pooling of token embeddings. */
  enum Pooling {
    mean,
    cls
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "package name (default: the builtin name, or the file/dir name)")
  String name;

  @Option(
      names = "--version",
      paramLabel = "V",
      defaultValue = "1",
      description = "package version (default: ${DEFAULT-VALUE})")
  String version;

  @Option(
      names = "--pooling",
      paramLabel = "P",
      description = "mean or cls (default: detected, else mean)")
  Pooling pooling;

  @Option(names = "--no-normalize", description = "do not L2-normalize embeddings by default")
  boolean noNormalize;

  @Option(
      names = "--max-length",
      paramLabel = "N",
      description = "truncate inputs to N tokens (default: the model's maximum)")
  Integer maxLength;

  @Option(
      names = "--store",
      paramLabel = "LOC",
      description = {
        "target store: a directory or s3://bucket/prefix",
        "(default: $MAAS_MODEL_STORE, else $MAAS_HOME/models;",
        "here ${DEFAULT-VALUE})"
      })
  String store;

  @Option(names = "--overwrite", description = "replace an existing version")
  boolean overwrite;

  public static void main(String[] args) {
    Cli.exit(new ImportModelCli(), args);
  }

  @Override
  void run() throws Exception {
    String poolingName = pooling == null ? null : pooling.name();
    Path staging = Files.createTempDirectory("maas-import-");
    ConsoleProgress progress = new ConsoleProgress();
    try {
      ModelManifest m;
      if (source.builtin != null) {
        String b = source.builtin;
        Path[] files = Builtins.extract(b, staging.resolve("src"));
        m =
            OnnxBertImporter.importModel(
                files[0],
                files[1],
                staging.resolve("pkg"),
                new ImportOptions(
                    name != null ? name : b,
                    version,
                    poolingName == null ? Builtins.POOLING.get(b) : poolingName,
                    !noNormalize,
                    maxLength == null ? Builtins.MAX_LENGTH.get(b) : maxLength),
                progress);
      } else if (source.onnx != null) {
        Path onnx = source.onnx.file;
        String n =
            name != null
                ? name
                : onnx.getFileName().toString().replaceFirst("\\.onnx$", "").toLowerCase();
        m =
            OnnxBertImporter.importModel(
                onnx,
                source.onnx.tokenizer,
                staging.resolve("pkg"),
                new ImportOptions(n, version, poolingName, !noNormalize, maxLength),
                progress);
      } else {
        Path dir = source.hfDir;
        String n = name != null ? name : dir.getFileName().toString().toLowerCase();
        m =
            HfDirectoryImporter.importModel(
                dir,
                staging.resolve("pkg"),
                new ImportOptions(n, version, poolingName, !noNormalize, maxLength),
                progress);
      }
      try (ModelStore target = Defaults.openStore(store)) {
        target.publish(staging.resolve("pkg"), overwrite, progress);
        out()
            .printf(
                "imported %s (%s, %s, %.1f MB) into %s%n",
                m.id(), m.task(), m.dtype(), m.totalBytes() / 1e6, target.uri());
      }
    } finally {
      deleteRecursively(staging);
    }
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
