package io.maaskit.it.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextGenerator.KvCache;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.decoder.LinearPrecision;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizationRejectedException;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * int8 and int4 decoder packages: the quantizer compiles the float32 package into a graph whose
 * linears are {@code MatMulNBits} (int4 layers keep an int8 LM head), gates that graph, run on ONNX
 * Runtime, on next-token agreement and KL divergence against float32 on the calibration texts,
 * records both in the manifest, and refuses (writing nothing, naming the figures) when a threshold
 * is missed.
 *
 * <p>The tiny checkpoints are random: no redundancy, near-tied next tokens, so they are far more
 * sensitive to weight rounding than a trained model (int8 already costs them KL ~0.02). int8 passes
 * the default gate; int4 (18 times int8's rounding step) measured top-1 0.55 / KL 0.65 (GPT-2) and
 * 0.36 / 1.57 (Llama) with blocks of 32, at accuracy level 4 and 0 alike, so the default gate
 * refuses it (tested below) and the int4 package is made under {@link #TINY_INT4_TOP1} / {@link
 * #TINY_INT4_KL}: still far from what a packing or layout error gives (top-1 near 1/vocab, KL of
 * several nats).
 */
class QuantDecoderTest {
  /** The gate's top-1 minimum for int4 of the random tiny checkpoints. */
  static final double TINY_INT4_TOP1 = 0.3;

  /** The gate's mean-KL maximum for int4 of the random tiny checkpoints. */
  static final double TINY_INT4_KL = 2.0;

  @TempDir Path tmp;

  @Test
  void quantizesGeneratorsToInt8AndInt4GraphsAndRecordsTheFigures() throws Exception {
    CalibrationSet texts = CalibrationSet.calibration().sample(64);
    for (Path fp32 : List.of(TestModels.tinyLlama(), TestModels.tinyGpt2())) {
      long int8Bytes = 0;
      double int8Kl = 0;
      for (LinearPrecision p : List.of(LinearPrecision.int8(), LinearPrecision.int4())) {
        Path out = tmp.resolve(fp32.getParent().getFileName() + "-" + p.dtype());
        Quantizer.Result r =
            new Quantizer(QuantFixtures.runtime())
                .quantize(
                    fp32,
                    out,
                    p.bits() == 8
                        ? QuantizeOptions.defaults().withCalibration(texts).withDecoderPrecision(p)
                        : QuantizeOptions.defaults()
                            .withCalibration(texts)
                            .withDecoderPrecision(p)
                            .withGeneratorGate(TINY_INT4_TOP1, TINY_INT4_KL),
                    Progress.NONE);
        ModelManifest m = ModelPackage.read(out);
        System.out.printf(
            "%s %s (%s): top-1 agreement %.4f, mean KL %.6f on %d positions of %d texts; %d -> %d"
                + " bytes%n",
            fp32.getParent().getFileName(),
            p.dtype(),
            m.quantization().scheme(),
            r.generatorGate().top1Agreement(),
            r.generatorGate().meanKl(),
            r.generatorGate().positions(),
            r.generatorGate().inputs(),
            r.sourceBytes(),
            r.bytes());
        assertEquals(p.dtype(), m.dtype());
        assertEquals(p.scheme(), m.quantization().scheme());
        assertEquals(List.of(Capability.GENERATOR), m.capabilities());
        assertEquals(64, m.quantization().calibrationInputs());
        double minTop1 = p.bits() == 8 ? 0.9 : TINY_INT4_TOP1;
        double maxKl = p.bits() == 8 ? 0.05 : TINY_INT4_KL;
        assertTrue(
            m.quantization().top1Agreement() >= minTop1,
            "top-1 " + m.quantization().top1Agreement());
        assertTrue(m.quantization().meanKl() <= maxKl, "KL " + m.quantization().meanKl());
        assertTrue(m.quantization().meanKl() > 0, p.dtype() + " is not float32");
        assertTrue(
            r.generatorGate().positions() > 64 * 8, "positions " + r.generatorGate().positions());
        // The package is the graph and what the tokenizer and generation need: no safetensors.
        for (PackageFile f : m.files()) {
          assertFalse(f.path().endsWith(".safetensors"), f.path());
        }
        String graph =
            new String(Files.readAllBytes(out.resolve("model.onnx")), StandardCharsets.ISO_8859_1);
        assertTrue(graph.contains("MatMulNBits"), "the linears are MatMulNBits");
        if (p.bits() == 8) {
          int8Bytes = r.bytes();
          int8Kl = m.quantization().meanKl();
          assertTrue(r.ratio() < 0.5, "int8 ratio " + r.ratio());
        } else {
          assertTrue(r.bytes() < int8Bytes, "int4 " + r.bytes() + " vs int8 " + int8Bytes);
          assertTrue(m.quantization().meanKl() > int8Kl, "int4 rounds coarser than int8");
        }
        try (TextGenerator g = loadOnOnnxRuntime(out);
            KvCache c = g.newCache()) {
          float[] logits = g.forward(List.of(c), List.of(g.tokenizer().encode("Hello", false)))[0];
          assertEquals(g.vocabSize(), logits.length);
        }
      }
    }
  }

  @Test
  void refusesInt4AtTheDefaultGateAndNamesTheFigures() throws Exception {
    Path int4 = tmp.resolve("refused");
    QuantizeOptions defaults =
        QuantizeOptions.defaults()
            .withCalibration(CalibrationSet.calibration().sample(8))
            .withDecoderPrecision(LinearPrecision.int4());
    QuantizationRejectedException e =
        assertThrows(
            QuantizationRejectedException.class,
            () ->
                new Quantizer(QuantFixtures.runtime())
                    .quantize(TestModels.tinyGpt2(), int4, defaults, Progress.NONE));
    System.out.println(e.getMessage());
    assertTrue(e.getMessage().startsWith("int4 quantization of tiny-gpt2@1"), e.getMessage());
    assertTrue(
        e.getMessage().contains(String.format("%.4f", e.generatorResult().top1Agreement())),
        e.getMessage());
    assertTrue(
        e.getMessage().contains(String.format("%.5f nats", e.generatorResult().meanKl())),
        e.getMessage());
    assertFalse(e.generatorResult().passed());
    assertFalse(Files.exists(int4.resolve(ModelManifest.FILE)));
  }

  private static TextGenerator loadOnOnnxRuntime(Path dir) throws IOException {
    ModelManifest m = ModelPackage.read(dir);
    Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", 0, true));
    return (TextGenerator)
        Architecture.forName(m.architecture())
            .load(m, p -> ByteBuffer.wrap(Files.readAllBytes(dir.resolve(p))), ort);
  }
}
