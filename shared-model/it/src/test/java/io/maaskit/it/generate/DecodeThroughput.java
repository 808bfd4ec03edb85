package io.maaskit.it.generate;

import io.maaskit.it.TinyDecoders;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextGenerator.KvCache;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.importer.HfDirectoryImporter;
import io.maaskit.tools.importer.ImportOptions;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Dev harness, not a test: decode tokens/s of a random SmolLM2-135M-shaped Llama (hidden 576, 30
 * layers, 9 heads, 3 key/value heads, intermediate 1536, vocab 49152, tied) on one stream and on
 * eight batched streams.
 *
 * <pre>
 * OMP_WAIT_POLICY=PASSIVE java -cp ... io.maaskit.it.generate.DecodeThroughput [threads=2] [device=cpu] [steps=64] [engine=auto]
 * </pre>
 *
 * <p>With {@code engine=onnxruntime} the package's compiled graph runs ({@code model.onnx}, which
 * the importer writes) through the graph-backed generator.
 *
 * <p>Set {@code OMP_WAIT_POLICY=PASSIVE} (as {@code scripts/serve} does) on a shared machine:
 * OpenMP's spinning workers otherwise fight other processes for the cores, and on the 2-core build
 * machine under load decode fell from ~18 to ~0.6 tokens/s. Measured there (2 threads, load average
 * ~11 from other builds, so only indicative): 13-20 tokens/s for one stream (52-78 ms/token), 68-80
 * tokens/s aggregate for eight batched streams (100-118 ms/step).
 */
public final class DecodeThroughput {
  private DecodeThroughput() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    String device = args.length > 1 ? args[1] : "cpu";
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    String engineName = args.length > 3 ? args[3] : "auto";
    Path root = Path.of("target", "test-models").toAbsolutePath();
    Path hf = root.resolve("hf").resolve("smollm2-shaped");
    Path pkg = root.resolve("packages").resolve("smollm2-shaped").resolve("1");
    if (!Files.isRegularFile(pkg.resolve(ModelManifest.FILE))) {
      TinyDecoders.writeLlama(TinyDecoders.LlamaShape.SMOLLM2_135M, hf, 7);
      HfDirectoryImporter.importModel(
          hf, pkg, new ImportOptions("smollm2-shaped", "1", null, false, null), Progress.NONE);
    }
    ModelManifest m = ModelPackage.read(pkg);
    Engine engine = Engine.start(new EngineOptions(engineName, device, threads, true));
    TextGenerator g =
        (TextGenerator)
            Architecture.forName(m.architecture())
                .load(
                    m,
                    p -> {
                      try (FileChannel ch =
                          FileChannel.open(pkg.resolve(p), StandardOpenOption.READ)) {
                        return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
                      }
                    },
                    engine);
    System.out.printf(
        "engine %s %s on %s, %d threads; weights %.1f MB%n",
        engine.name(),
        engine.version(),
        engine.gpu() ? "gpu" : "cpu",
        engine.threads(),
        g.weightBytes() / 1e6);
    int[] prompt = g.tokenizer().encode("The quick brown fox jumps over the lazy dog", false);
    try (KvCache c = g.newCache()) {
      long t0 = System.nanoTime();
      float[] logits = g.forward(List.of(c), List.of(prompt))[0];
      long t1 = System.nanoTime();
      for (int i = 0; i < 8; i++) {
        logits = g.forward(List.of(c), List.of(new int[] {argmax(logits)}))[0];
      }
      long t2 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        logits = g.forward(List.of(c), List.of(new int[] {argmax(logits)}))[0];
      }
      long t3 = System.nanoTime();
      double perToken = (t3 - t2) / 1e9 / steps;
      System.out.printf(
          "prefill %d tokens: %.1f ms; decode 1 stream: %.1f tokens/s (%.2f ms/token, %.1f GB/s"
              + " of weights)%n",
          prompt.length,
          (t1 - t0) / 1e6,
          1 / perToken,
          perToken * 1e3,
          g.weightBytes() / perToken / 1e9);
    }
    int streams = 8;
    List<KvCache> caches = new ArrayList<>();
    List<int[]> next = new ArrayList<>();
    try {
      for (int s = 0; s < streams; s++) {
        KvCache c = g.newCache();
        caches.add(c);
        int[] p = g.tokenizer().encode("stream " + s + " says hello".repeat(s + 1), false);
        next.add(new int[] {argmax(g.forward(List.of(c), List.of(p))[0])});
      }
      for (int i = 0; i < 4; i++) {
        step(g, caches, next);
      }
      int batchedSteps = Math.max(8, steps / 2);
      long t0 = System.nanoTime();
      for (int i = 0; i < batchedSteps; i++) {
        step(g, caches, next);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "decode %d streams batched: %.1f tokens/s aggregate (%.2f ms/step)%n",
          streams, streams * batchedSteps / seconds, seconds / batchedSteps * 1e3);
    } finally {
      caches.forEach(KvCache::close);
    }
    g.close();
  }

  private static void step(TextGenerator g, List<KvCache> caches, List<int[]> next) {
    float[][] out = g.forward(caches, next);
    for (int s = 0; s < out.length; s++) {
      next.set(s, new int[] {argmax(out[s])});
    }
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
