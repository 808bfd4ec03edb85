package io.maaskit.it.generate;

import io.maaskit.it.TinyDecoders;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.GenerateRequest;
import io.maaskit.model.task.Generation;
import io.maaskit.model.task.GenerationListener;
import io.maaskit.model.task.GenerationOptions;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.SamplingParams;
import io.maaskit.tools.importer.HfDirectoryImporter;
import io.maaskit.tools.importer.ImportOptions;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Dev harness, not a test: completion tokens/s through {@link GenerationService} (the whole loop:
 * sampling, detokenizing, stops, continuous batching) for 1, 4 and 8 concurrent requests on a
 * random SmolLM2-135M-shaped Llama, so the gain from sharing decode steps is measured end to end.
 *
 * <pre>
 * java -cp ... io.maaskit.it.generate.GenerationThroughput [threads=2] [device=cpu] [tokens=32]
 * </pre>
 */
public final class GenerationThroughput {
  private GenerationThroughput() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    String device = args.length > 1 ? args[1] : "cpu";
    int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;
    Path root = Path.of("target", "test-models").toAbsolutePath();
    Path hf = root.resolve("hf").resolve("smollm2-shaped");
    Path pkg = root.resolve("packages").resolve("smollm2-shaped").resolve("1");
    if (!Files.isRegularFile(pkg.resolve(ModelManifest.FILE))) {
      TinyDecoders.writeLlama(TinyDecoders.LlamaShape.SMOLLM2_135M, hf, 7);
      HfDirectoryImporter.importModel(
          hf, pkg, new ImportOptions("smollm2-shaped", "1", null, false, null), Progress.NONE);
    }
    ModelManifest m = ModelPackage.read(pkg);
    EagerEngine engine = EagerEngine.start(new EngineOptions(device, threads));
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
        "engine %s on %s, %d threads; up to %d tokens per request, greedy%n",
        engine.name(), engine.device(), engine.threads(), tokens);
    try (GenerationService svc =
        new GenerationService(name -> g, "smollm2-shaped", GenerationOptions.defaults())) {
      run(svc, 1, tokens); // warm-up
      for (int concurrent : new int[] {1, 4, 8}) {
        run(svc, concurrent, tokens);
      }
    }
    g.close();
  }

  private static void run(GenerationService svc, int concurrent, int tokens) {
    List<GenerationService.Started> started = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < concurrent; i++) {
      started.add(
          svc.start(
              GenerateRequest.completion(
                  null, "Request " + i + ": the quick brown fox", SamplingParams.greedy(tokens)),
              Cancellation.NONE,
              GenerationListener.NONE));
    }
    int generated = 0;
    for (GenerationService.Started s : started) {
      Generation r = s.await();
      generated += r.completionTokens();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "%d concurrent request(s): %d tokens in %.2f s = %.1f tokens/s aggregate%n",
        concurrent, generated, seconds, generated / seconds);
  }
}
