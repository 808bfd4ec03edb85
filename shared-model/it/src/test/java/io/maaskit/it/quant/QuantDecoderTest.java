package io.maaskit.it.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextGenerator.KvCache;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizationRejectedException;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * int8 decoder packages: the quantizer gates a generator on next-token agreement and KL divergence
 * against float32 on the calibration texts, records both in the manifest, and refuses (writing
 * nothing) when a threshold is missed.
 */
class QuantDecoderTest {
  @TempDir Path tmp;

  @Test
  void quantizesAGeneratorAndRecordsTheNextTokenFigures() throws Exception {
    for (Path fp32 : List.of(TestModels.tinyLlama(), TestModels.tinyGpt2())) {
      Path int8 = tmp.resolve(fp32.getParent().getFileName() + "-int8");
      CalibrationSet texts = CalibrationSet.calibration().sample(64);
      Quantizer.Result r =
          new Quantizer(QuantFixtures.runtime())
              .quantize(
                  fp32, int8, QuantizeOptions.defaults().withCalibration(texts), Progress.NONE);
      ModelManifest m = ModelPackage.read(int8);
      System.out.printf(
          "%s: int8 top-1 agreement %.4f, mean KL %.6f on %d positions of %d texts; %d -> %d bytes%n",
          fp32.getParent().getFileName(),
          r.generatorGate().top1Agreement(),
          r.generatorGate().meanKl(),
          r.generatorGate().positions(),
          r.generatorGate().inputs(),
          r.sourceBytes(),
          r.bytes());
      assertEquals("int8", m.dtype());
      assertEquals(List.of(Capability.GENERATOR), m.capabilities());
      assertEquals(64, m.quantization().calibrationInputs());
      assertTrue(
          m.quantization().top1Agreement() >= 0.9, "top-1 " + m.quantization().top1Agreement());
      assertTrue(m.quantization().meanKl() <= 0.05, "KL " + m.quantization().meanKl());
      assertTrue(m.quantization().meanKl() > 0, "int8 is not float32");
      assertTrue(
          r.generatorGate().positions() > 64 * 8, "positions " + r.generatorGate().positions());
      assertTrue(r.ratio() < 0.5, "ratio " + r.ratio());
      Map<String, Safetensors.Tensor> t = Safetensors.read(int8.resolve("model.safetensors"));
      String linear =
          t.containsKey("model.layers.0.mlp.up_proj.weight")
              ? "model.layers.0.mlp.up_proj.weight"
              : "transformer.h.0.mlp.c_fc.weight";
      assertEquals("I8", t.get(linear).dtype());
      assertEquals("F32", t.get(linear + ".scale").dtype());
      try (TextGenerator g = load(int8)) {
        try (KvCache c = g.newCache()) {
          float[] logits = g.forward(List.of(c), List.of(g.tokenizer().encode("Hello", false)))[0];
          assertEquals(g.vocabSize(), logits.length);
        }
      }
    }
  }

  @Test
  void refusesWhenTheNextTokenGateIsMissed() throws Exception {
    Path int8 = tmp.resolve("refused");
    QuantizeOptions strict =
        QuantizeOptions.defaults()
            .withCalibration(CalibrationSet.calibration().sample(8))
            .withGeneratorGate(1.0, 1e-12);
    QuantizationRejectedException e =
        assertThrows(
            QuantizationRejectedException.class,
            () ->
                new Quantizer(QuantFixtures.runtime())
                    .quantize(TestModels.tinyQwen2(), int8, strict, Progress.NONE));
    assertTrue(e.getMessage().contains("mean KL divergence"), e.getMessage());
    assertTrue(e.generatorResult().meanKl() > 1e-12);
    assertFalse(Files.exists(int8.resolve(ModelManifest.FILE)));
  }

  private static TextGenerator load(Path dir) throws IOException {
    ModelManifest m = ModelPackage.read(dir);
    return (TextGenerator)
        Architecture.forName(m.architecture())
            .load(
                m,
                p -> ByteBuffer.wrap(Files.readAllBytes(dir.resolve(p))),
                QuantFixtures.runtime());
  }
}
