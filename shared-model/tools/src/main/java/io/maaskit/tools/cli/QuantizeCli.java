package io.maaskit.tools.cli;

import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.decoder.BlockQuantized.Rounding;
import io.maaskit.tools.onnx.decoder.LinearPrecision;
import io.maaskit.tools.quant.AccuracyGate;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.GeneratorGate;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code scripts/quantize}: float32 package → int8 package, published only if the accuracy gate
 * passes.
 */
@Command(
    name = "scripts/quantize",
    sortOptions = false,
    description = {
      "Quantizes a float32 model package to int8: linear weights symmetric int8 per output channel,",
      "embedding tables int8 per row, biases and LayerNorm kept float32. Before anything is written,",
      "the float32 and int8 models embed the calibration set side by side; if any input's cosine is",
      "below --min-cosine the package is refused (exit 1, nothing left behind). The measured min/mean",
      "cosine go into the manifest. A generator (decoder) package becomes int8 or int4 (--bits):",
      "a package that carries only the compiled ONNX graph, its linear weights quantized block-wise",
      "for MatMulNBits (int8 and int4 kernels on ONNX Runtime), the LM head int8. It is gated on",
      "next-token prediction: float32 and the quantized graph read the calibration texts, and the",
      "quantized one must agree with float32 on the most likely next token at >= --min-top1 of the",
      "positions, with mean KL divergence <= --max-kl; both figures go into the manifest.",
      ""
    },
    footer = {
      "",
      "Example:",
      "  scripts/import-model --builtin bge-small-en-v1.5",
      "  scripts/quantize bge-small-en-v1.5            # publishes bge-small-en-v1.5-int8@1",
      "  scripts/quantize smollm2-135m --bits 4        # publishes smollm2-135m-int4@1"
    })
public final class QuantizeCli extends CliCommand {
  @Parameters(
      index = "0",
      paramLabel = "SOURCE",
      description = "a package directory (with maas-model.json), or NAME[@VERSION] in --store")
  String source;

  @Option(
      names = "--store",
      paramLabel = "LOC",
      description = {
        "store to read SOURCE from and publish to",
        "(default: $MAAS_MODEL_STORE, else $MAAS_HOME/models;",
        "here ${DEFAULT-VALUE})"
      })
  String store;

  /** Where the int8 package goes instead of --store: at most one. */
  static final class Destination {
    @Option(
        names = "--out-store",
        paramLabel = "LOC",
        description = "publish to this store instead of --store")
    String outStore;

    @Option(
        names = "--out",
        paramLabel = "DIR",
        description = "write the package directory to DIR instead of publishing it")
    Path out;
  }

  @ArgGroup(exclusive = true)
  Destination destination = new Destination();

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "name of the package (default: SOURCE's name + \"-int8\" or \"-int4\")")
  String name;

  @Option(
      names = "--version",
      paramLabel = "V",
      description = "its version (default: SOURCE's version)")
  String version;

  @Option(
      names = "--min-cosine",
      paramLabel = "X",
      description = "the gate's per-input threshold, in (0, 1] (default: ${DEFAULT-VALUE})")
  double minCosine = AccuracyGate.DEFAULT_MIN_COSINE;

  @Option(
      names = "--min-top1",
      paramLabel = "X",
      description = "generators: minimum next-token top-1 agreement (default: ${DEFAULT-VALUE})")
  double minTop1 = GeneratorGate.DEFAULT_MIN_TOP1;

  @Option(
      names = "--max-kl",
      paramLabel = "X",
      description = "generators: maximum mean KL divergence, nats (default: ${DEFAULT-VALUE})")
  double maxKl = GeneratorGate.DEFAULT_MAX_MEAN_KL;

  @Option(
      names = "--calibration",
      paramLabel = "FILE",
      description = {
        "gate on your own inputs (UTF-8, one per line, \\n for a newline)",
        "instead of the calibration set shipped with the kit"
      })
  Path calibrationFile;

  @Option(
      names = "--fp32-embeddings",
      description = {
        "keep the embedding tables in float32 (MiniLM: 65%% of float32 instead",
        "of 26%%, for a small accuracy gain)"
      })
  boolean fp32Embeddings;

  @Option(
      names = "--int8-kernel",
      paramLabel = "KIND",
      description = {
        "ONNX graph operator for int8 linear layers: calibrated (default: per layer,",
        "DynamicQuantizeMatMul on smoothed inputs where the gate allows, else",
        "MatMulNBits), blockwise (MatMulNBits everywhere, int8 activations per block",
        "of 32) or dynamic (DynamicQuantizeMatMul everywhere, unsmoothed, one",
        "activation scale per tensor, which the 0.99 gate rejects on MiniLM)"
      })
  String int8Kernel = "calibrated";

  @Option(
      names = "--bits",
      paramLabel = "N",
      description = {
        "generators: 8 (default) or 4 bits per linear weight, block-wise (see --rounding), in a",
        "package that carries the MatMulNBits graph; at 4 bits the LM head stays int8"
      })
  int bits = 8;

  @Option(
      names = "--block-size",
      paramLabel = "N",
      description =
          "generators: weights per quantization block along K (default: ${DEFAULT-VALUE})")
  int blockSize = LinearPrecision.DEFAULT_BLOCK_SIZE;

  @Option(
      names = "--accuracy-level",
      paramLabel = "N",
      description = {
        "generators: MatMulNBits accuracy_level of the 4-bit layers: 4 quantizes activations",
        "to int8 per block (default), 0 computes in float32; 8-bit layers always use 4"
      })
  int accuracyLevel = LinearPrecision.DEFAULT_ACCURACY_LEVEL;

  @Option(
      names = "--rounding",
      paramLabel = "R",
      description = {
        "generators: how each block's scale is chosen: asymmetric-mse (min/max with a zero",
        "point per block, the range clipped where that lowers the squared error; the default",
        "at 4 bits), asymmetric (plain min/max) or symmetric (max |w|, no zero points; the",
        "default at 8 bits)"
      })
  String rounding;

  @Option(
      names = "--int8-linears",
      paramLabel = "LIST",
      description = {
        "generators at 4 bits: the layer linears kept at int8, by role (qkv, o, up, down) or",
        "role in one layer (down.1), comma-separated, or none (every layer linear int4);",
        "default: what LinearPrecision.int4() keeps (see docs/model-package.md)"
      })
  String int8Linears;

  @Option(
      names = "--overwrite",
      description = "replace an existing package with that name and version")
  boolean overwrite;

  public static void main(String[] args) {
    Cli.exit(new QuantizeCli(), args);
  }

  @Override
  void run() throws Exception {
    if (!(minCosine > 0 && minCosine <= 1)) {
      throw new UsageException("--min-cosine must be in (0, 1], got " + minCosine);
    }
    CalibrationSet calibration =
        calibrationFile != null
            ? CalibrationSet.read(calibrationFile)
            : CalibrationSet.calibration();
    if (!(minTop1 >= 0 && minTop1 <= 1) || !(maxKl >= 0)) {
      throw new UsageException("--min-top1 must be in [0, 1] and --max-kl >= 0");
    }
    LinearPrecision precision;
    try {
      precision =
          new LinearPrecision(
              bits,
              blockSize,
              accuracyLevel,
              8,
              rounding == null
                  ? LinearPrecision.defaultRounding(bits)
                  : Rounding.forLabel(rounding));
      precision = withInt8Linears(precision, int8Linears);
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "--bits must be 8 or 4, --block-size a power of two >= 16, --accuracy-level 0..4,"
              + " --rounding symmetric, asymmetric or asymmetric-mse, --int8-linears roles"
              + " (qkv, o, up, down, optionally .layer) at 4 bits only: "
              + e.getMessage());
    }
    QuantizeOptions options =
        new QuantizeOptions(
                name,
                version,
                minCosine,
                calibration,
                !fp32Embeddings,
                new CompileOptions(kernel(int8Kernel), CompileOptions.DEFAULT_BLOCK_SIZE),
                minTop1,
                maxKl)
            .withDecoderPrecision(precision);

    Path staging = Files.createTempDirectory("maas-quantize-");
    try (ModelStore from = Defaults.openStore(store);
        ModelStore outStore =
            destination.outStore != null ? Defaults.openStore(destination.outStore) : null) {
      Path srcDir = Path.of(source);
      boolean inStore = !Files.isRegularFile(srcDir.resolve(ModelManifest.FILE));
      ModelId srcId = inStore ? from.resolve(ModelId.parse(source)) : null;
      ModelManifest src = inStore ? from.manifest(srcId) : ModelPackage.read(srcDir);
      ModelId target =
          new ModelId(
              options.name() != null
                  ? options.name()
                  : src.name()
                      + "-"
                      + (src.capabilities().contains(Capability.GENERATOR)
                          ? precision.dtype()
                          : "int8"),
              options.version() != null ? options.version() : src.version());
      ModelStore publishTo = outStore != null ? outStore : from;
      Path outDir = destination.out != null ? destination.out.toAbsolutePath() : null;
      refuseExisting(outDir, publishTo, target, overwrite); // before any download or compute
      if (inStore) {
        srcDir = fetch(from, srcId, src, staging.resolve("src"));
      }

      System.err.printf(
          "quantizing %s (%s, %.1f MB) to %s; accuracy gate: %d inputs of %s, %s%n",
          src.id(),
          src.architecture(),
          src.totalBytes() / 1e6,
          src.capabilities().contains(Capability.GENERATOR) ? precision.scheme() : "int8",
          calibration.size(),
          calibration.name(),
          src.capabilities().contains(Capability.GENERATOR)
              ? "next-token top-1 >= " + minTop1 + ", mean KL <= " + maxKl
              : "min cosine " + minCosine);
      EagerEngine runtime = EagerEngine.start(EngineOptions.defaults());
      Quantizer quantizer = new Quantizer(runtime);
      Quantizer.Result r;
      String where;
      if (outDir != null) {
        // Next to the target, so the final rename is atomic and an old package survives a
        // refusal.
        Files.createDirectories(outDir.getParent());
        Path fresh =
            outDir.resolveSibling(
                "." + outDir.getFileName() + "-" + ProcessHandle.current().pid() + ".new");
        try {
          r = quantizer.quantize(srcDir, fresh, options, new StepProgress());
          if (Files.exists(outDir)) {
            ImportModelCli.deleteRecursively(
                outDir); // refuseExisting allowed it: --overwrite or empty
          }
          Files.move(fresh, outDir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          ImportModelCli.deleteRecursively(fresh);
        }
        where = outDir.toString();
      } else {
        r = quantizer.quantize(srcDir, staging.resolve("int8"), options, new StepProgress());
        publishTo.publish(staging.resolve("int8"), overwrite, new ConsoleProgress());
        where = publishTo.uri();
      }
      out()
          .printf(
              "quantized %s -> %s: %d -> %d bytes (%.3f of float32) in %.1f s%n",
              src.id(),
              r.manifest().id(),
              r.sourceBytes(),
              r.bytes(),
              r.ratio(),
              r.millis() / 1000.0);
      if (r.gate() != null) {
        AccuracyGate.Result g = r.gate();
        out()
            .printf(
                "accuracy gate (int8 on %s vs float32 on %s): %d inputs, min cosine %.6f (input"
                    + " #%d), mean %.6f, threshold %s%n",
                quantizer.servingEngine().name(),
                runtime.name(),
                g.inputs(),
                g.minCosine(),
                g.worstIndex(),
                g.meanCosine(),
                g.threshold());
        var linears = r.manifest().quantization().linears();
        if (linears != null) {
          long dynamic =
              linears.values().stream().filter(l -> l.kernel().equals("dynamic")).count();
          out()
              .printf(
                  "int8 kernels: %d of %d linear layers dynamic (DynamicQuantizeMatMul on centred,"
                      + " smoothed inputs), the rest blockwise (MatMulNBits); per layer in the"
                      + " manifest's quantization.linears%n",
                  dynamic, linears.size());
        }
      } else {
        GeneratorGate.Result g = r.generatorGate();
        out()
            .printf(
                "accuracy gate: %d texts, %d positions, next-token top-1 agreement %.4f (min %s),"
                    + " mean KL %.5f nats (max %s)%n",
                g.inputs(),
                g.positions(),
                g.top1Agreement(),
                g.minTop1(),
                g.meanKl(),
                g.maxMeanKl());
      }
      out().printf("wrote %s to %s%n", r.manifest().id(), where);
    } finally {
      ImportModelCli.deleteRecursively(staging);
    }
  }

  /**
   * {@code p} with the layer linears {@code list} names kept at int8 ({@code none}: none); null
   * keeps {@link LinearPrecision#int4()}'s choice at 4 bits.
   */
  static LinearPrecision withInt8Linears(LinearPrecision p, String list) {
    if (list == null) {
      if (p.bits() != 4) {
        return p;
      }
      for (var e : LinearPrecision.int4().linearBits().entrySet()) {
        p = p.withLinearBits(e.getKey(), e.getValue());
      }
      return p;
    }
    if (p.bits() != 4) {
      throw new IllegalArgumentException("--int8-linears is for --bits 4");
    }
    if (list.isBlank() || list.trim().equals("none")) {
      return p;
    }
    for (String selector : list.split(",")) {
      p = p.withLinearBits(selector.trim(), 8);
    }
    return p;
  }

  static CompileOptions.Int8Kernel kernel(String s) {
    try {
      return CompileOptions.Int8Kernel.parse(s);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--int8-kernel: " + e.getMessage());
    }
  }

  private static void refuseExisting(
      Path outDir, ModelStore store, ModelId target, boolean overwrite) throws IOException {
    if (overwrite) {
      return;
    }
    if (outDir != null) {
      if (Files.exists(outDir) && (!Files.isDirectory(outDir) || hasEntries(outDir))) {
        throw new UsageException(outDir + " exists; pass --overwrite to replace it");
      }
      return;
    }
    try {
      store.manifest(target);
      throw new UsageException(
          "model "
              + target
              + " already exists in "
              + store.uri()
              + "; pass --overwrite to replace it, or --name/--version");
    } catch (ModelNotFoundException expected) {
      // free to publish
    }
  }

  private static boolean hasEntries(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.findAny().isPresent();
    }
  }

  /** Copies a package out of a store (local or S3) so the quantizer can read it as a directory. */
  static Path fetch(ModelStore store, ModelId id, ModelManifest m, Path dir) throws IOException {
    ConsoleProgress progress = new ConsoleProgress();
    long done = 0;
    for (PackageFile f : m.files()) {
      Path out = dir.resolve(f.path());
      Files.createDirectories(out.getParent());
      try (FileChannel ch =
          FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        store.fetch(
            id,
            f,
            (position, src) -> {
              long p = position;
              while (src.hasRemaining()) {
                p += ch.write(src, p);
              }
            });
      }
      done += f.size();
      progress.update("fetched " + f.path(), done, m.totalBytes());
    }
    Files.write(dir.resolve(ModelManifest.FILE), m.toJson());
    return dir;
  }

  /** Counts steps (tensors, inputs), at most a few lines per second. */
  static final class StepProgress implements Progress {
    private long lastPrint;
    private String lastPhase = "";

    @Override
    public synchronized void update(String what, long done, long total) {
      long now = System.currentTimeMillis();
      String phase = what.split(" ", 2)[0];
      boolean boundary = !phase.equals(lastPhase) || (total > 0 && done >= total);
      if (!boundary && now - lastPrint < 1000) {
        return;
      }
      lastPhase = phase;
      lastPrint = now;
      if (total > 0) {
        System.err.printf("  [%d/%d] %s%n", done, total, what);
      } else {
        System.err.printf("  %s%n", what);
      }
    }
  }
}
