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
 * <p>The tiny checkpoints are random (Gaussian weights, hidden 64): no redundancy, near-tied next
 * tokens, so they are far more sensitive to weight rounding than a trained model. int8 passes the
 * default gate; int4 does not, and the default gate refuses it (tested below). Measured here (64
 * calibration texts, blocks of 32, accuracy level 4 unless said; top-1 agreement / mean KL in nats;
 * package bytes):
 *
 * <table>
 *   <caption>int8 and int4 of the tiny checkpoints against float32</caption>
 *   <tr><th>rounding</th><th>tiny Llama</th><th>tiny GPT-2</th></tr>
 *   <tr><td>int8 symmetric (default)</td><td>0.924 / 0.0169, 123,394 B</td><td>0.953 / 0.0063, 220,005 B</td></tr>
 *   <tr><td>int8 asymmetric-mse</td><td>0.928 / 0.0145, 126,934 B</td>
 *       <td>0.955 / 0.0053, 224,692 B</td></tr>
 *   <tr><td>int4 symmetric</td><td>0.371 / 1.566, 92,674 B</td><td>0.541 / 0.632, 170,845 B</td></tr>
 *   <tr><td>int4 symmetric, accuracy level 0</td><td>0.374 / 1.562</td><td>0.543 / 0.629</td></tr>
 *   <tr><td>int4 asymmetric (min/max)</td><td>0.440 / 1.130, 95,312 B</td>
 *       <td>0.590 / 0.480, 173,990 B</td></tr>
 *   <tr><td>int4 asymmetric-mse (default)</td><td>0.459 / 1.043, 95,312 B</td>
 *       <td>0.605 / 0.450, 173,990 B</td></tr>
 *   <tr><td>int4 asymmetric-mse, blocks of 16</td><td>0.496 / 0.876, 106,784 B</td>
 *       <td>0.656 / 0.332, 190,710 B</td></tr>
 * </table>
 *
 * <p>Rounding, not a layout error: the float32 graph compiled on the int4 weights as {@link
 * io.maaskit.tools.onnx.decoder.BlockQuantized#dequantize} gives them equals the int4 graph at
 * accuracy level 0 exactly (top-1 1.0, KL 0) and within 0.008 nats at level 4 (int8 activations).
 * Nor does mixed precision rescue these checkpoints: with every linear int8 but one group int4,
 * each group alone already misses the default gate (tiny Llama: QKV 0.55 / 0.77, O 0.73 / 0.18,
 * gate/up 0.75 / 0.16, down 0.81 / 0.08; tiny GPT-2: 0.67 / 0.33, 0.82 / 0.07, 0.85 / 0.045, 0.87 /
 * 0.038), so an int4 package of them that passed would be an int8 one. This test therefore makes
 * the random checkpoints' int4 packages under {@link #TINY_INT4_TOP1} / {@link #TINY_INT4_KL},
 * which the symmetric rounding misses (Llama KL 1.57) and which stay far from what a packing or
 * layout error gives (top-1 near 1/vocab, KL of several nats), to exercise the int4 graph and
 * manifest; and checks that the default gate refuses them, naming its figures. Whether int4 passes
 * the default gate on a decoder with a trained network's peaked distributions is {@link
 * QuantTrainedDecoderTest}'s question: it asserts that the same shapes, trained for a few seconds,
 * pass it at int8 and int4.
 */
class QuantDecoderTest {
  /** The gate's top-1 minimum for int4 of the random tiny checkpoints. */
  static final double TINY_INT4_TOP1 = 0.4;

  /** The gate's mean-KL maximum for int4 of the random tiny checkpoints. */
  static final double TINY_INT4_KL = 1.2;

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
