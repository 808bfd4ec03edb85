package io.maaskit.tools.cli;

import ai.djl.Device;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.tools.quant.AccuracyGate;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scripts/gpu-check}: embeds a fixed set of inputs on CPU (fp32) and on GPU (fp16), prints
 * the cosine between the two and the speed-up. Without a CUDA device it says so and exits 0.
 */
@Command(
    name = "scripts/gpu-check",
    sortOptions = false,
    description = {
      "Compares CPU (fp32) and GPU (fp16) embeddings of a fixed input set: prints min/mean cosine and",
      "the GPU speed-up on batches. Exits 0 with a message when no CUDA device is visible.",
      ""
    })
public final class GpuCheckCli extends CliCommand {
  @Option(
      names = "--model",
      paramLabel = "NAME",
      description = "package to check (default: ${DEFAULT-VALUE})")
  String model = "all-minilm-l6-v2";

  @Option(
      names = "--store",
      paramLabel = "LOC",
      description = {
        "store holding it",
        "(default: $MAAS_MODEL_STORE, else $MAAS_HOME/models;",
        "here ${DEFAULT-VALUE})"
      })
  String store;

  @Option(
      names = "--batch",
      paramLabel = "N",
      description = "batch size for the timing (default: ${DEFAULT-VALUE})")
  int batch = 64;

  @Option(
      names = "--rounds",
      paramLabel = "N",
      description = "timed rounds per device (default: ${DEFAULT-VALUE})")
  int rounds = 10;

  public static void main(String[] args) {
    Cli.exit(new GpuCheckCli(), args);
  }

  @Override
  void run() throws Exception {
    if (batch <= 0 || rounds <= 0) {
      throw new UsageException("--batch and --rounds must be > 0");
    }
    EagerEngine cpu = EagerEngine.start(new EngineOptions("cpu", 0));
    if (cpu.gpuCount() == 0) {
      out()
          .println(
              "gpu-check: no CUDA device is visible to the PyTorch engine ("
                  + cpu.version()
                  + ", "
                  + System.getProperty("ai.djl.pytorch.flavor", "natives from the classpath")
                  + "); nothing to compare. Run it on a GPU machine with CUDA natives (the GPU image has them).");
      return;
    }
    Engine gpu = cpu.onDevice(Device.gpu());
    try (ModelStore s = Defaults.openStore(store)) {
      ModelManifest m = s.manifest(s.resolve(ModelId.parse(model)));
      // The same verified load path as the server, once per device; memory mode writes
      // nothing to disk.
      List<String> inputs = inputs(batch);
      try (TextEncoder onCpu = load(s, m, cpu);
          TextEncoder onGpu = load(s, m, gpu)) {
        float[][] c = EmbeddingService.embed(onCpu, inputs, true).vectors();
        float[][] g = EmbeddingService.embed(onGpu, inputs, true).vectors();
        double min = 1;
        double sum = 0;
        for (int i = 0; i < c.length; i++) {
          double cos = AccuracyGate.cosine(c[i], g[i]);
          min = Math.min(min, cos);
          sum += cos;
        }
        double cpuMs = time(onCpu, inputs, rounds);
        double gpuMs = time(onGpu, inputs, rounds);
        out()
            .printf(
                "model %s, %d inputs: cosine CPU fp32 vs GPU fp16 min %.6f mean %.6f%n",
                m.id(), c.length, min, sum / c.length);
        out()
            .printf(
                "batch of %d: CPU %.1f ms, GPU %.1f ms, speed-up %.1fx%n",
                inputs.size(), cpuMs, gpuMs, cpuMs / gpuMs);
      }
    }
  }

  static TextEncoder load(ModelStore store, ModelManifest m, Engine runtime)
      throws java.io.IOException {
    LoadedModel model = new PackageLoader(store, null, LoadMode.MEMORY, runtime).load(m).model();
    if (model instanceof TextEncoder enc) {
      return enc;
    }
    model.close();
    throw new UsageException("model " + m.id() + " is not an embedding model");
  }

  static List<String> inputs(int n) {
    String[] base = {
      "The quick brown fox jumps over the lazy dog.",
      "Serverless inference puts models behind HTTP endpoints.",
      "GPUs compute in half precision; CPUs in single precision.",
      "¿Dónde está la biblioteca?",
      "Quarterly tax filings are due at the end of April.",
      "A kitten is sleeping on a warm windowsill in the afternoon sun.",
    };
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(base[i % base.length] + (i >= base.length ? " (variant " + i + ")" : ""));
    }
    return out;
  }

  static double time(TextEncoder enc, List<String> inputs, int rounds) {
    EmbeddingService.embed(enc, inputs, true);
    long t0 = System.nanoTime();
    for (int i = 0; i < rounds; i++) {
      EmbeddingService.embed(enc, inputs, true);
    }
    return (System.nanoTime() - t0) / 1e6 / rounds;
  }
}
