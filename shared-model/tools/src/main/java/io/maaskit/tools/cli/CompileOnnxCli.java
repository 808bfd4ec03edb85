package io.maaskit.tools.cli;

import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.ModelStore;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.OnnxCompiler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code scripts/compile-onnx}: adds the ONNX graph to existing packages (new ones get it from
 * import, quantize and train).
 */
@Command(
    name = "scripts/compile-onnx",
    sortOptions = false,
    description = {
      "Compiles model packages to ONNX graphs ("
          + EncoderGraph.FILE
          + ") for the ONNX Runtime engine",
      "and lists the graph in each package's manifest (size and SHA-256). float32 packages get a",
      "float32 graph; int8 packages an int8 one on the package's own int8 weights. Generators",
      "(Llama, Mistral, Qwen2, GPT-2) get the decoder graph with its key/value cache. A package",
      "without a graph still serves on PyTorch. Existing graphs are replaced.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  scripts/compile-onnx all-minilm-l6-v2 all-minilm-l6-v2-int8",
      "  scripts/compile-onnx ./models/bge-small-en-v1.5/1"
    })
public final class CompileOnnxCli extends CliCommand {
  @Parameters(
      arity = "1..*",
      paramLabel = "PACKAGE",
      description = "package directories (with maas-model.json), or NAME[@VERSION] in --store")
  List<String> packages;

  @Option(
      names = "--store",
      paramLabel = "LOC",
      description = {
        "store to read NAME[@VERSION] from and publish the result to",
        "(default: $MAAS_MODEL_STORE, else $MAAS_HOME/models;",
        "here ${DEFAULT-VALUE})"
      })
  String store;

  @Option(
      names = "--int8-kernel",
      paramLabel = "KIND",
      description = {
        "operator for int8 linear layers: calibrated (default: per layer as the",
        "package's quantizer decided, blockwise where it decided nothing), blockwise",
        "(MatMulNBits, int8 activations per block of 32) or dynamic",
        "(DynamicQuantizeMatMul, one activation scale per tensor, unsmoothed)"
      })
  String int8Kernel = "calibrated";

  public static void main(String[] args) {
    Cli.exit(new CompileOnnxCli(), args);
  }

  @Override
  void run() throws Exception {
    CompileOptions options =
        new CompileOptions(QuantizeCli.kernel(int8Kernel), CompileOptions.DEFAULT_BLOCK_SIZE);
    ModelStore from = null;
    try {
      for (String p : packages) {
        Path dir = Path.of(p);
        if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
          report(p, compile(dir, options));
          continue;
        }
        if (from == null) {
          from = Defaults.openStore(store);
        }
        ModelId id = from.resolve(ModelId.parse(p));
        ModelManifest m = from.manifest(id);
        Path staging = Files.createTempDirectory("maas-compile-onnx-");
        try {
          Path work = QuantizeCli.fetch(from, id, m, staging.resolve("pkg"));
          OnnxCompiler.Result r = compile(work, options);
          from.publish(work, true, new ConsoleProgress());
          report(id + " in " + from.uri(), r);
        } finally {
          ImportModelCli.deleteRecursively(staging);
        }
      }
    } finally {
      if (from != null) {
        from.close();
      }
    }
  }

  private OnnxCompiler.Result compile(Path dir, CompileOptions options) throws Exception {
    ModelManifest m = ModelPackage.read(dir);
    if (!OnnxCompiler.supports(m)) {
      throw new UsageException(
          m.id() + ": no ONNX compiler for architecture '" + m.architecture() + "'");
    }
    System.err.printf("compiling %s (%s, %s)%n", m.id(), m.architecture(), m.dtype());
    return OnnxCompiler.compile(dir, options, new QuantizeCli.StepProgress());
  }

  private void report(String what, OnnxCompiler.Result r) {
    Map<String, Integer> ops = new TreeMap<>(r.ops());
    out()
        .printf(
            "compiled %s: %s %.1f MB in %.1f s; ops %s%n",
            what, EncoderGraph.FILE, r.bytes() / 1e6, r.millis() / 1000.0, ops);
  }
}
