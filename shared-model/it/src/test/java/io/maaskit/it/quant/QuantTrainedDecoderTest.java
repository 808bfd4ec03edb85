package io.maaskit.it.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.maaskit.it.TestModels;
import io.maaskit.it.TinyDecoderTrainer;
import io.maaskit.it.TinyDecoders;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.ExplainableGenerator;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.decoder.LinearPrecision;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.GeneratorGate;
import io.maaskit.tools.quant.QuantizationRejectedException;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * int8 of a <em>trained</em> tiny decoder passes the quantizer's default generator gate (top-1
 * agreement at least {@value GeneratorGate#DEFAULT_MIN_TOP1}, mean KL at most {@value
 * GeneratorGate#DEFAULT_MAX_MEAN_KL} nats, on the kit's whole calibration set); its int4 is still
 * refused there, much closer than the random checkpoints' (figures printed, and in
 * docs/performance.md), and the refusal names its figures and writes nothing.
 *
 * <p>The checkpoints are the tiny Llama and GPT-2 shapes (hidden 64, 2 layers) trained by {@link
 * TinyDecoderTrainer} for {@value TinyDecoderTrainer#STEPS} steps on a seeded grammar and the
 * held-out texts, none of them in the calibration set. That they learned is checked here through
 * the kit itself: each package, loaded by the kit's own eager network, must score fresh sentences
 * of the grammar below half of {@code ln(vocab)} nats per token, where the random checkpoints score
 * about {@code ln(vocab)} or worse.
 */
class QuantTrainedDecoderTest {
  @TempDir Path tmp;

  @Test
  void trainedTinyLlamaPassesTheDefaultGateAtInt8() throws Exception {
    assertBothPass(TestModels.trainedTinyLlama(), TestModels.tinyLlama());
  }

  @Test
  void trainedTinyGpt2PassesTheDefaultGateAtInt8() throws Exception {
    assertBothPass(TestModels.trainedTinyGpt2(), TestModels.tinyGpt2());
  }

  /**
   * Checks that {@code fp32} learned (against the random checkpoint of its shape), then quantizes
   * it to int4 (refused, figures named, nothing written) and int8 (passes) with the default
   * options.
   */
  private void assertBothPass(Path fp32, Path random) throws Exception {
    String name = ModelPackage.read(fp32).name();
    List<String> fresh = TinyDecoderTrainer.grammar(32, 7);
    double bound = 0.5 * Math.log(TinyDecoders.VOCAB);
    double trained = crossEntropy(fp32, fresh);
    double untrained = crossEntropy(random, fresh);
    System.out.printf(
        "%s next-token loss on %d fresh grammar sentences (the kit's eager network): %.3f"
            + " nats/token, the random checkpoint %.3f; ln(vocab) = %.3f%n",
        name, fresh.size(), trained, untrained, Math.log(TinyDecoders.VOCAB));
    assertTrue(trained < bound, name + " loss " + trained + " not below " + bound);

    CalibrationSet calibration = CalibrationSet.calibration();
    Path int4 = tmp.resolve(name + "-int4");
    QuantizationRejectedException e =
        assertThrows(
            QuantizationRejectedException.class,
            () ->
                new Quantizer(QuantFixtures.runtime())
                    .quantize(
                        fp32,
                        int4,
                        QuantizeOptions.defaults().withDecoderPrecision(LinearPrecision.int4()),
                        Progress.NONE));
    System.out.println(e.getMessage());
    assertTrue(
        e.getMessage().contains(String.format("%.4f", e.generatorResult().top1Agreement())),
        e.getMessage());
    assertFalse(Files.exists(int4.resolve(ModelManifest.FILE)));
    for (LinearPrecision p : List.of(LinearPrecision.int8())) {
      Path out = tmp.resolve(name + "-" + p.dtype());
      // The default options: the default gate on the whole calibration set; only the precision is
      // chosen. A refusal throws QuantizationRejectedException naming the figures.
      Quantizer.Result r =
          new Quantizer(QuantFixtures.runtime())
              .quantize(
                  fp32, out, QuantizeOptions.defaults().withDecoderPrecision(p), Progress.NONE);
      GeneratorGate.Result g = r.generatorGate();
      System.out.printf(
          "%s %s: top-1 agreement %.4f, mean KL %.6f nats on %d positions of %d texts (worst text"
              + " #%d, KL %.4f); %d -> %d bytes%n",
          name,
          p.dtype(),
          g.top1Agreement(),
          g.meanKl(),
          g.positions(),
          g.inputs(),
          g.worstIndex(),
          g.worstKl(),
          r.sourceBytes(),
          r.bytes());
      ModelManifest m = ModelPackage.read(out);
      assertEquals(p.dtype(), m.dtype());
      assertEquals(GeneratorGate.DEFAULT_MIN_TOP1, g.minTop1());
      assertEquals(GeneratorGate.DEFAULT_MAX_MEAN_KL, g.maxMeanKl());
      assertEquals(calibration.size(), g.inputs());
      assertEquals(calibration.size(), m.quantization().calibrationInputs());
      assertTrue(g.passed(), p.dtype() + " gate " + g);
      assertTrue(m.quantization().top1Agreement() >= GeneratorGate.DEFAULT_MIN_TOP1);
      assertTrue(m.quantization().meanKl() <= GeneratorGate.DEFAULT_MAX_MEAN_KL);
      assertTrue(m.quantization().meanKl() > 0, p.dtype() + " is not float32");
      assertTrue(g.positions() > calibration.size() * 8, "positions " + g.positions());
    }
  }

  /**
   * Mean next-token cross-entropy (nats per token) of {@code texts}, each read alone, by the
   * package loaded on the kit's eager network.
   */
  private static double crossEntropy(Path dir, List<String> texts) throws IOException {
    ModelManifest m = ModelPackage.read(dir);
    EagerEngine engine = EagerEngine.start(EngineOptions.defaults());
    engine.prepareThread();
    Object loaded =
        Architecture.forName(m.architecture())
            .load(m, f -> ByteBuffer.wrap(Files.readAllBytes(dir.resolve(f))), engine);
    double sum = 0;
    int count = 0;
    try (ExplainableGenerator g = assertInstanceOf(ExplainableGenerator.class, loaded);
        NDManager mg = engine.newManager()) {
      for (String text : texts) {
        int[] ids = g.tokenizer().encode(text, false);
        NDArray logits = g.logitsFromEmbeddings(g.inputEmbeddings(ids, mg));
        float[] flat = logits.toFloatArray();
        int v = g.vocabSize();
        for (int i = 0; i + 1 < ids.length; i++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < v; j++) {
            max = Math.max(max, flat[i * v + j]);
          }
          double z = 0;
          for (int j = 0; j < v; j++) {
            z += Math.exp(flat[i * v + j] - max);
          }
          sum += max + Math.log(z) - flat[i * v + ids[i + 1]];
          count++;
        }
      }
    }
    return sum / count;
  }
}
