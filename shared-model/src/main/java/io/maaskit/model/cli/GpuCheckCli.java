package io.maaskit.model.cli;

import ai.djl.Device;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.runtime.RuntimeOptions;
import io.maaskit.model.runtime.TorchRuntime;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.ModelStores;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code scripts/gpu-check}: embeds a fixed set of inputs on CPU (fp32) and on GPU (fp16), prints
 * the cosine between the two and the speed-up. Without a CUDA device it says so and exits 0.
 */
public final class GpuCheckCli {
  static final String USAGE = """
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
    Args.run(USAGE, argv, () -> {
      Args a = Args.parse(argv, Set.of("model", "store", "batch", "rounds"), Set.of());
      TorchRuntime cpu = TorchRuntime.start(new RuntimeOptions("cpu", 0));
      if (cpu.gpuCount() == 0) {
        System.out.println("gpu-check: no CUDA device is visible to the PyTorch engine ("
            + cpu.engine().getVersion() + ", " + System.getProperty("ai.djl.pytorch.flavor", "natives from the classpath")
            + "); nothing to compare. Run it on a GPU machine with CUDA natives (the GPU image has them).");
        return;
      }
      TorchRuntime gpu = cpu.onDevice(Device.gpu());
      try (ModelStore store = ModelStores.open(a.get("store", Defaults.store()))) {
        ModelManifest m = store.manifest(store.resolve(ModelId.parse(a.get("model", "all-minilm-l6-v2"))));
        Architecture.PackageFiles files = packageFiles(store, m);
        Architecture arch = Architecture.forName(m.architecture());
        List<String> inputs = inputs(a.getInt("batch", 64));
        try (TextEncoder onCpu = (TextEncoder) arch.load(m, files, cpu);
            TextEncoder onGpu = (TextEncoder) arch.load(m, files, gpu)) {
          float[][] c = onCpu.embed(inputs, true).vectors();
          float[][] g = onGpu.embed(inputs, true).vectors();
          double min = 1;
          double sum = 0;
          for (int i = 0; i < c.length; i++) {
            double cos = cosine(c[i], g[i]);
            min = Math.min(min, cos);
            sum += cos;
          }
          int rounds = a.getInt("rounds", 10);
          double cpuMs = time(onCpu, inputs, rounds);
          double gpuMs = time(onGpu, inputs, rounds);
          System.out.printf("model %s, %d inputs: cosine CPU fp32 vs GPU fp16 min %.6f mean %.6f%n", m.id(), c.length, min, sum / c.length);
          System.out.printf("batch of %d: CPU %.1f ms, GPU %.1f ms, speed-up %.1fx%n", inputs.size(), cpuMs, gpuMs, cpuMs / gpuMs);
        }
      }
    });
  }

  static Architecture.PackageFiles packageFiles(ModelStore store, ModelManifest m) throws java.io.IOException {
    Map<String, ByteBuffer> out = new HashMap<>();
    for (PackageFile f : m.files()) {
      Path p = store instanceof LocalModelStore l ? l.dir(m.id()).resolve(f.path()) : null;
      if (p == null) {
        ByteBuffer buf = io.maaskit.model.store.PackageCache.toMemory(f, store.uri(), sink -> store.fetch(m.id(), f, sink));
        out.put(f.path(), buf);
      } else {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
          out.put(f.path(), ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()));
        }
      }
    }
    return path -> out.get(path).duplicate();
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

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }
}
