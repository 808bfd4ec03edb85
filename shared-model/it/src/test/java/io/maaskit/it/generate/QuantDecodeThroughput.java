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
import io.maaskit.tools.onnx.decoder.BlockQuantized.Rounding;
import io.maaskit.tools.onnx.decoder.LinearPrecision;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Dev harness, not a test: on a random SmolLM2-135M-shaped Llama, the float32 graph against int8
 * and int4 graph packages that {@code scripts/quantize} makes (block sizes and accuracy levels
 * varied), on ONNX Runtime: the gate's figures against float32 (thresholds off, so every variant is
 * written and reported) and single-stream decode tokens/s. With {@code rounding}: symmetric against
 * asymmetric-mse rounding ({@link Rounding}), int8 and int4. With {@code streams}: 8 streams
 * decoded in one batched run against one, float32, int8 and int4 at {@code accuracy_level} 4 and 0
 * (does the quantized kernel share its weight reads across the batch's rows?).
 *
 * <pre>
 * java -cp ... io.maaskit.it.generate.QuantDecodeThroughput [threads=2] [steps=64] [texts=8] [rounding|streams]
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
    System.out.printf("float32 graph: %s%n", decode(pkg, ort, steps, 1));
    String mode = args.length > 3 ? args[3] : "";
    List<LinearPrecision> variants = new ArrayList<>();
    if (mode.equals("streams")) {
      // Batched decode: does MatMulNBits share its weight reads across rows? accuracy_level 4
      // (int8 activations) against 0 (float32 compute on dequantized blocks) at int4.
      System.out.printf("float32 graph, 8 streams: %s%n", decode(pkg, ort, steps, 8));
      variants.add(LinearPrecision.int8());
      variants.add(LinearPrecision.int4());
      variants.add(LinearPrecision.int4().withAccuracyLevel(0));
    } else if (mode.equals("rounding")) {
      // symmetric against asymmetric-mse only
      for (LinearPrecision p : List.of(LinearPrecision.int8(), LinearPrecision.int4())) {
        variants.add(p.withRounding(Rounding.SYMMETRIC));
        variants.add(p.withRounding(Rounding.ASYMMETRIC_SEARCH));
      }
    } else {
      variants.add(LinearPrecision.int8());
      variants.add(LinearPrecision.int4());
      variants.add(LinearPrecision.int4().withAccuracyLevel(0));
      variants.add(LinearPrecision.int4().withBlockSize(128));
      variants.add(LinearPrecision.int8().withBlockSize(128));
    }
    Quantizer quantizer = new Quantizer(Engine.start(EngineOptions.defaults()), ort);
    for (LinearPrecision p : variants) {
      Path out =
          root.resolve("packages")
              .resolve(
                  "smollm2-shaped-"
                      + p.dtype()
                      + "-b"
                      + p.blockSize()
                      + "-a"
                      + p.accuracyLevel()
                      + "-"
                      + p.rounding().label())
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
          "%s accuracy_level %d: %s%n", p.scheme(), p.accuracyLevel(), decode(out, ort, steps, 1));
      if (mode.equals("streams")) {
        System.out.printf(
            "%s accuracy_level %d, 8 streams: %s%n",
            p.scheme(), p.accuracyLevel(), decode(out, ort, steps, 8));
      }
    }
  }

  /**
   * Prefill a short prompt in each of {@code streams} caches, warm up, then time {@code steps}
   * decode steps that advance every stream by one token in one batched run: aggregate tokens/s.
   */
  private static String decode(Path dir, Engine engine, int steps, int streams) throws Exception {
    ModelManifest m = ModelPackage.read(dir);
    List<KvCache> caches = new ArrayList<>();
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
                    engine)) {
      try {
        return timed(g, caches, steps, streams, m);
      } finally {
        caches.forEach(KvCache::close); // before the generator closes
      }
    }
  }

  private static String timed(
      TextGenerator g, List<KvCache> caches, int steps, int streams, ModelManifest m) {
    int[] prompt = g.tokenizer().encode("The quick brown fox jumps over the lazy dog", false);
    int[] next = new int[streams];
    for (int s = 0; s < streams; s++) {
      KvCache c = g.newCache();
      caches.add(c);
      // different prompt lengths, as concurrent requests have
      int[] ids = Arrays.copyOf(prompt, prompt.length - s % prompt.length);
      next[s] = argmax(g.forward(List.of(c), List.of(ids))[0]);
    }
    for (int i = 0; i < 8; i++) {
      next = step(g, caches, next);
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      next = step(g, caches, next);
    }
    double perStep = (System.nanoTime() - t0) / 1e9 / steps;
    return String.format(
        "%s decode %.1f tokens/s (%.2f ms/step, %d stream(s)), package %.1f MB",
        g.getClass().getSimpleName(),
        streams / perStep,
        perStep * 1e3,
        streams,
        m.totalBytes() / 1e6);
  }

  /** One batched run: every cache advances by its next token; returns the tokens after. */
  private static int[] step(TextGenerator g, List<KvCache> caches, int[] next) {
    List<int[]> tokens = new ArrayList<>();
    for (int t : next) {
      tokens.add(new int[] {t});
    }
    float[][] logits = g.forward(caches, tokens);
    int[] out = new int[next.length];
    for (int s = 0; s < out.length; s++) {
      out[s] = argmax(logits[s]);
    }
    return out;
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
