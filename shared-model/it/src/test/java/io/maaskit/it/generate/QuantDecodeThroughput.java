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
import io.maaskit.tools.onnx.decoder.LinearPrecision;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Dev harness, not a test: on a random SmolLM2-135M-shaped Llama, the float32 graph against int8
 * and int4 graph packages that {@code scripts/quantize} makes (block sizes and accuracy levels
 * varied), on ONNX Runtime: the gate's figures against float32 (thresholds off, so every variant is
 * written and reported) and single-stream decode tokens/s.
 *
 * <pre>
 * java -cp ... io.maaskit.it.generate.QuantDecodeThroughput [threads=2] [steps=64] [texts=16]
 * </pre>
 *
 * <p>Random weights make a flat next-token distribution, so the figures here say more about the
 * kernels' arithmetic than about a trained model's sensitivity.
 */
public final class QuantDecodeThroughput {
  private QuantDecodeThroughput() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    int texts = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    Path root = Path.of("target", "test-models").toAbsolutePath();
    Path hf = root.resolve("hf").resolve("smollm2-shaped");
    Path pkg = root.resolve("packages").resolve("smollm2-shaped").resolve("1");
    if (!Files.isRegularFile(pkg.resolve(ModelManifest.FILE))) {
      TinyDecoders.writeLlama(TinyDecoders.LlamaShape.SMOLLM2_135M, hf, 7);
      HfDirectoryImporter.importModel(
          hf, pkg, new ImportOptions("smollm2-shaped", "1", null, false, null), Progress.NONE);
    }
    Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", threads, true));
    System.out.printf("float32 graph: %s%n", decode(pkg, ort, steps));
    List<LinearPrecision> variants = new ArrayList<>();
    variants.add(LinearPrecision.int8());
    variants.add(LinearPrecision.int4());
    variants.add(LinearPrecision.int4().withAccuracyLevel(0));
    variants.add(LinearPrecision.int4().withBlockSize(128));
    variants.add(LinearPrecision.int8().withBlockSize(128));
    Quantizer quantizer = new Quantizer(Engine.start(EngineOptions.defaults()), ort);
    for (LinearPrecision p : variants) {
      Path out =
          root.resolve("packages")
              .resolve(
                  "smollm2-shaped-" + p.dtype() + "-b" + p.blockSize() + "-a" + p.accuracyLevel())
              .resolve("1");
      if (!Files.isRegularFile(out.resolve(ModelManifest.FILE))) {
        Quantizer.Result r =
            quantizer.quantize(
                pkg,
                out,
                QuantizeOptions.defaults()
                    .withCalibration(CalibrationSet.calibration().sample(texts))
                    .withDecoderPrecision(p)
                    .withGeneratorGate(0, Double.MAX_VALUE),
                Progress.NONE);
        System.out.printf(
            "%s accuracy_level %d: top-1 %.4f, mean KL %.5f (%d positions), %.1f MB%n",
            p.scheme(),
            p.accuracyLevel(),
            r.generatorGate().top1Agreement(),
            r.generatorGate().meanKl(),
            r.generatorGate().positions(),
            r.bytes() / 1e6);
      }
      System.out.printf(
          "%s accuracy_level %d: %s%n", p.scheme(), p.accuracyLevel(), decode(out, ort, steps));
    }
  }

  /** Prefill a short prompt, warm up, then time {@code steps} single-stream decode steps. */
  private static String decode(Path dir, Engine engine, int steps) throws Exception {
    ModelManifest m = ModelPackage.read(dir);
    try (TextGenerator g =
            (TextGenerator)
                Architecture.forName(m.architecture())
                    .load(
                        m,
                        p -> {
                          try (FileChannel ch =
                              FileChannel.open(dir.resolve(p), StandardOpenOption.READ)) {
                            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
                          }
                        },
                        engine);
        KvCache c = g.newCache()) {
      int[] prompt = g.tokenizer().encode("The quick brown fox jumps over the lazy dog", false);
      float[] logits = g.forward(List.of(c), List.of(prompt))[0];
      for (int i = 0; i < 8; i++) {
        logits = g.forward(List.of(c), List.of(new int[] {argmax(logits)}))[0];
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        logits = g.forward(List.of(c), List.of(new int[] {argmax(logits)}))[0];
      }
      double perToken = (System.nanoTime() - t0) / 1e9 / steps;
      return String.format(
          "%s decode %.1f tokens/s (%.2f ms/token), package %.1f MB",
          g.getClass().getSimpleName(), 1 / perToken, perToken * 1e3, m.totalBytes() / 1e6);
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
