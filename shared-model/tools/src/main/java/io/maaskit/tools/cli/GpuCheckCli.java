package io.maaskit.tools.cli;

import ai.djl.Device;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.PackageLoader;
import io.maaskit.model.runtime.RuntimeOptions;
import io.maaskit.model.runtime.TorchRuntime;
import io.maaskit.model.store.ModelStore;
import io.maaskit.tools.quant.AccuracyGate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code scripts/gpu-check}: embeds a fixed set of inputs on CPU (fp32) and on GPU (fp16), prints
 * the cosine between the two and the speed-up. Without a CUDA device it says so and exits 0.
 */
public final class GpuCheckCli {
  static final String USAGE =
      """
      usage: scripts/gpu-check [--model NAME] [--store LOC] [--batch N] [--rounds N]

      Compares CPU (fp32) and GPU (fp16) embeddings of a fixed input set: prints min/mean cosine and
      the GPU speed-up on batches. Exits 0 with a message when no CUDA device is visible.
        --model NAME   package to check (default all-minilm-l6-v2)
        --store LOC    store holding it (default $MAAS_MODEL_STORE or ~/.cache/maaskit/models)
        --batch N      batch size for the timing (default 64)
        --rounds N     timed rounds per device (default 10)
      """;

  private GpuCheckCli() {}

  public static void main(String[] argv) {
    Args.run(
        USAGE,
        argv,
        () -> {
          Args a = Args.parse(argv, Set.of("model", "store", "batch", "rounds"), Set.of());
          TorchRuntime cpu = TorchRuntime.start(new RuntimeOptions("cpu", 0));
          if (cpu.gpuCount() == 0) {
            System.out.println(
                "gpu-check: no CUDA device is visible to the PyTorch engine ("
                    + cpu.engine().getVersion()
                    + ", "
                    + System.getProperty("ai.djl.pytorch.flavor", "natives from the classpath")
                    + "); nothing to compare. Run it on a GPU machine with CUDA natives (the GPU image has them).");
            return;
          }
          TorchRuntime gpu = cpu.onDevice(Device.gpu());
          try (ModelStore store = Defaults.openStore(a.get("store", Defaults.store()))) {
            ModelManifest m =
                store.manifest(store.resolve(ModelId.parse(a.get("model", "all-minilm-l6-v2"))));
            // The same verified load path as the server, once per device; memory mode writes
            // nothing to disk.
            List<String> inputs = inputs(a.getInt("batch", 64));
            try (TextEncoder onCpu = load(store, m, cpu);
                TextEncoder onGpu = load(store, m, gpu)) {
              float[][] c = onCpu.embed(inputs, true).vectors();
              float[][] g = onGpu.embed(inputs, true).vectors();
              double min = 1;
              double sum = 0;
              for (int i = 0; i < c.length; i++) {
                double cos = AccuracyGate.cosine(c[i], g[i]);
                min = Math.min(min, cos);
                sum += cos;
              }
              int rounds = a.getInt("rounds", 10);
              double cpuMs = time(onCpu, inputs, rounds);
              double gpuMs = time(onGpu, inputs, rounds);
              System.out.printf(
                  "model %s, %d inputs: cosine CPU fp32 vs GPU fp16 min %.6f mean %.6f%n",
                  m.id(), c.length, min, sum / c.length);
              System.out.printf(
                  "batch of %d: CPU %.1f ms, GPU %.1f ms, speed-up %.1fx%n",
                  inputs.size(), cpuMs, gpuMs, cpuMs / gpuMs);
            }
          }
        });
  }

  static TextEncoder load(ModelStore store, ModelManifest m, TorchRuntime runtime)
      throws java.io.IOException {
    LoadedModel model = new PackageLoader(store, null, LoadMode.MEMORY, runtime).load(m).model();
    if (model instanceof TextEncoder enc) {
      return enc;
    }
    model.close();
    throw new Args.UsageException("model " + m.id() + " is not an embedding model");
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
    enc.embed(inputs, true);
    long t0 = System.nanoTime();
    for (int i = 0; i < rounds; i++) {
      enc.embed(inputs, true);
    }
    return (System.nanoTime() - t0) / 1e6 / rounds;
  }
}
