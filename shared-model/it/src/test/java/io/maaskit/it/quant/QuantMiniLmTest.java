package io.maaskit.it.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.pkg.LinearQuantization;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.importer.OnnxGraph;
import io.maaskit.tools.quant.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** all-MiniLM-L6-v2: quantize with the gate, then grade the int8 package on the held-out set. */
class QuantMiniLmTest {
  @TempDir static Path tmp;
  static Path fp32Dir;
  static Path int8Dir;
  static Quantizer.Result result;
  static TextEncoder fp32;
  static TextEncoder int8;

  @BeforeAll
  static void quantize() throws Exception {
    fp32Dir = TestModels.miniLm();
    int8Dir = tmp.resolve("store").resolve("all-minilm-l6-v2-int8").resolve("1");
    result =
        new Quantizer(QuantFixtures.runtime())
            .quantize(
                fp32Dir,
                int8Dir,
                QuantizeOptions.defaults(),
                QuantFixtures.phases("all-minilm-l6-v2"));
    long t0 = System.nanoTime();
    fp32 = QuantFixtures.loadServing(fp32Dir); // the float32 graph on ONNX Runtime
    int8 = QuantFixtures.loadServing(int8Dir); // the int8 graph on ONNX Runtime
    System.out.printf(
        "[quant %s] test loads: %.1fs%n", "all-minilm-l6-v2", (System.nanoTime() - t0) / 1e9);
  }

  @AfterAll
  static void close() {
    QuantFixtures.close(fp32, int8);
  }

  @Test
  void manifestRecordsDtypeSchemeAndGateFigures() throws Exception {
    ModelManifest m = ModelPackage.read(int8Dir);
    assertEquals("all-minilm-l6-v2-int8", m.name());
    assertEquals("int8", m.dtype());
    assertEquals(Quantizer.SCHEME, m.quantization().scheme());
    assertEquals("quantize", m.quantization().source());
    assertEquals(CalibrationSet.calibration().size(), m.quantization().calibrationInputs());
    assertTrue(m.quantization().calibrationInputs() >= 200);
    assertTrue(m.quantization().minCosine() >= 0.99, "min cosine " + m.quantization().minCosine());
    assertTrue(m.quantization().meanCosine() >= m.quantization().minCosine());
    assertEquals("mean", m.pooling());
    assertEquals(256, m.maxSequenceLength());
    assertEquals("all-minilm-l6-v2@1", m.source().get("quantizedFrom"));
  }

  @Test
  void packageIsAtMostThirtyPercentOfFloat32() throws Exception {
    long before = QuantFixtures.packageBytes(fp32Dir);
    long after = QuantFixtures.packageBytes(int8Dir);
    System.out.printf(
        "all-minilm-l6-v2: fp32 %d bytes, int8 %d bytes, ratio %.4f; gate min %.6f mean %.6f on %d, %d ms%n",
        before,
        after,
        (double) after / before,
        result.gate().minCosine(),
        result.gate().meanCosine(),
        result.gate().inputs(),
        result.millis());
    assertTrue(after <= 0.30 * before, "int8 " + after + " bytes vs fp32 " + before);
  }

  @Test
  void weightsAreInt8WithPerRowScalesAndNormsStayFloat() throws Exception {
    Map<String, Safetensors.Tensor> t = Safetensors.read(int8Dir.resolve("model.safetensors"));
    for (String w :
        List.of(
            "encoder.layer.0.attention.self.query.weight",
            "encoder.layer.5.output.dense.weight",
            "embeddings.word_embeddings.weight",
            "embeddings.position_embeddings.weight")) {
      assertEquals("I8", t.get(w).dtype(), w);
      assertEquals("F32", t.get(w + ".scale").dtype(), w);
      assertEquals(t.get(w).shape()[0], t.get(w + ".scale").shape()[0], w);
      assertFalse(t.containsKey(w + ".zero_point"), w);
    }
    for (String f :
        List.of(
            "encoder.layer.0.attention.self.query.bias",
            "encoder.layer.0.output.LayerNorm.weight",
            "embeddings.LayerNorm.bias")) {
      assertEquals("F32", t.get(f).dtype(), f);
    }
  }

  /**
   * The manifest records the quantizer's decision for each of the 24 linear layers (fused QKV,
   * attention output, FFN in and out per layer) with the errors calibration measured, and the graph
   * runs exactly those kernels: the dynamic one where the gate allowed it, the blockwise one
   * elsewhere.
   */
  @Test
  void manifestRecordsEachLayersKernelAndTheGraphRunsIt() throws Exception {
    Map<String, LinearQuantization> linears = ModelPackage.read(int8Dir).quantization().linears();
    assertEquals(24, linears.size(), linears.keySet().toString());
    long dynamic = 0;
    for (var e : linears.entrySet()) {
      LinearQuantization l = e.getValue();
      System.out.println("all-minilm-l6-v2 int8 layer " + e.getKey() + ": " + l);
      assertTrue(l.kernel().equals("dynamic") || l.kernel().equals("blockwise"), l.toString());
      assertTrue(l.dynamicError() > 0 && l.blockwiseError() > 0, l.toString());
      assertEquals(l.kernel().equals("dynamic") ? l.dynamicError() : l.blockwiseError(), l.error());
      dynamic += l.kernel().equals("dynamic") ? 1 : 0;
    }
    OnnxGraph g = OnnxGraph.read(int8Dir.resolve(EncoderGraph.FILE));
    Map<String, Long> ops = new java.util.TreeMap<>();
    g.nodes().forEach(n -> ops.merge(n.op(), 1L, Long::sum));
    System.out.println("all-minilm-l6-v2 int8 graph ops: " + ops);
    assertEquals(24 - dynamic, ops.getOrDefault("MatMulNBits", 0L));
    assertEquals(dynamic, ops.getOrDefault("DynamicQuantizeMatMul", 0L));
    assertEquals(6 * 2, ops.get("MatMul")); // Q·K^T and P·V only: no float weight matrices
  }

  /**
   * Blockwise layers run on the package's own int8 values (shifted by MatMulNBits' zero point 128)
   * and per-row scales; the embedding tables stay int8.
   */
  @Test
  void blockwiseLayersRunOnThePackagesOwnWeights() throws Exception {
    Map<String, LinearQuantization> linears = ModelPackage.read(int8Dir).quantization().linears();
    OnnxGraph g = OnnxGraph.read(int8Dir.resolve(EncoderGraph.FILE));
    Map<String, Safetensors.Tensor> t = Safetensors.read(int8Dir.resolve("model.safetensors"));
    for (var e : linears.entrySet()) {
      if (!e.getValue().kernel().equals("blockwise") || e.getKey().endsWith(".qkv")) {
        continue; // the fused QKV has no single package tensor to compare with
      }
      String w = e.getKey() + ".weight";
      Safetensors.Tensor q = t.get(w);
      Safetensors.Tensor packed = g.initializers().get(e.getKey() + ".weight_u8");
      assertEquals("U8", packed.dtype(), w);
      long out = q.shape()[0];
      long in = q.shape()[1];
      for (int o = 0; o < out; o += 97) {
        for (int i = 0; i < in; i += 13) {
          byte expected = (byte) (q.data().get((int) (o * in + i)) + 128);
          assertEquals(expected, packed.data().get((int) (o * in + i)), w + " " + o + "," + i);
        }
      }
      float[] scale = t.get(w + ".scale").toFloats();
      float[] blockScales = g.initializers().get(e.getKey() + ".weight_scales").toFloats();
      long blocks = in / 32;
      for (int o = 0; o < out; o++) {
        assertEquals(scale[o], blockScales[(int) (o * blocks)], 0f, w);
      }
    }
    assertEquals("I8", g.initializers().get("embeddings.word_embeddings.weight_quantized").dtype());
  }

  @Test
  void everyHeldOutInputStaysWithinCosine099() {
    QuantFixtures.assertHeldOutWithin099("all-minilm-l6-v2", fp32, int8);
  }

  @Test
  void gateRefusesAndLeavesNothingBehind() throws Exception {
    Path out = tmp.resolve("rejected").resolve("strict").resolve("1");
    QuantizeOptions strict =
        QuantizeOptions.defaults()
            .withCalibration(CalibrationSet.calibration().sample(16))
            .withMinCosine(0.999999);
    QuantizationRejectedException e =
        assertThrows(
            QuantizationRejectedException.class,
            () ->
                new Quantizer(QuantFixtures.runtime())
                    .quantize(fp32Dir, out, strict, Progress.NONE));
    assertTrue(e.getMessage().contains("rejected by the accuracy gate"), e.getMessage());
    assertTrue(e.getMessage().contains("No package was written"), e.getMessage());
    assertFalse(e.result().passed());
    assertFalse(Files.exists(out));
    try (Stream<Path> left = Files.list(out.getParent())) {
      assertEquals(List.of(), left.toList(), "staging files left behind");
    }
  }

  @Test
  void refusesAnAlreadyQuantizedSource() {
    assertThrows(
        InvalidRequestException.class,
        () ->
            new Quantizer(QuantFixtures.runtime())
                .quantize(
                    int8Dir,
                    tmp.resolve("again").resolve("x").resolve("1"),
                    QuantizeOptions.defaults(),
                    Progress.NONE));
  }
}
