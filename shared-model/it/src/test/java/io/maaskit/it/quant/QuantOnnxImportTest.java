package io.maaskit.it.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.maaskit.it.TestModels;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.TensorLayout;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Weights;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.tools.quant.*;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The other way to int8: importing ONNX Runtime's dynamic-int8 export of all-MiniLM-L6-v2 (uint8
 * embeddings and int8 linear weights with zero points), dequantized at load, compared with the
 * float32 model.
 */
class QuantOnnxImportTest {
  static Path fp32Dir;
  static Path qDir;
  static TextEncoder fp32;
  static TextEncoder q;

  @BeforeAll
  static void load() throws Exception {
    fp32Dir = TestModels.miniLm();
    qDir = TestModels.imported("all-minilm-l6-v2-q", "mean", 256);
    fp32 = QuantFixtures.load(fp32Dir);
    q = QuantFixtures.load(qDir);
  }

  @AfterAll
  static void close() {
    if (fp32 != null) {
      fp32.close();
    }
    if (q != null) {
      q.close();
    }
  }

  @Test
  void importedPackageIsInt8OnDisk() throws Exception {
    ModelManifest m = ModelPackage.read(qDir);
    assertEquals("int8", m.dtype());
    assertEquals("onnx-import", m.quantization().source());
    Map<String, Safetensors.Tensor> t = Safetensors.read(qDir.resolve("model.safetensors"));
    assertEquals("U8", t.get("embeddings.word_embeddings.weight").dtype());
    assertEquals("I8", t.get("encoder.layer.0.attention.self.query.weight").dtype());
    assertEquals(
        List.of(384L, 384L),
        List.of(
            t.get("encoder.layer.0.attention.self.query.weight").shape()[0],
            t.get("encoder.layer.0.attention.self.query.weight").shape()[1]));
    long before = QuantFixtures.packageBytes(fp32Dir);
    long after = QuantFixtures.packageBytes(qDir);
    System.out.printf(
        "all-minilm-l6-v2-q (ONNX import): %d bytes, %.4f of fp32 %d%n",
        after, (double) after / before, before);
    assertTrue(after <= 0.30 * before, "imported int8 " + after + " bytes vs fp32 " + before);
  }

  /**
   * Dequantized weights match the fp32 export's: a transposed matrix or a misplaced scale would
   * not.
   */
  @Test
  void dequantizedWeightsMatchTheFloat32Weights() throws Exception {
    Map<String, Safetensors.Tensor> a = Safetensors.read(fp32Dir.resolve("model.safetensors"));
    Map<String, Safetensors.Tensor> b = Safetensors.read(qDir.resolve("model.safetensors"));
    int checked = 0;
    try (NDManager m = QuantFixtures.runtime().newManager()) {
      Weights wa = new Weights(a, m, DataType.FLOAT32, "");
      Weights wb = new Weights(b, m, DataType.FLOAT32, "");
      TensorLayout layout =
          Architecture.forName("bert")
              .layout(path -> ByteBuffer.wrap(Files.readAllBytes(fp32Dir.resolve(path))));
      for (String n : a.keySet()) {
        if (!Quantizer.shouldQuantize(a.get(n), layout.role(n), true)) {
          continue;
        }
        NDArray x = wa.get(n);
        NDArray y = wb.get(n);
        assertEquals(x.getShape(), y.getShape(), n);
        double rel = x.sub(y).norm().getFloat() / x.norm().getFloat();
        // per-channel int8 linears: 1.5-3.5%; per-tensor uint8 tables: up to ~17% (position table)
        double limit = n.startsWith("embeddings.") ? 0.25 : 0.05;
        assertTrue(rel < limit, n + ": relative error " + rel);
        checked++;
      }
    }
    assertEquals(6 * 6 + 3, checked);
  }

  @Test
  void embedsCloseToTheFloat32Model() {
    List<String> texts = CalibrationSet.heldOut().texts();
    double[] c = QuantFixtures.cosines(fp32, q, texts);
    double min = 1;
    double sum = 0;
    for (int i = 0; i < c.length; i++) {
      min = Math.min(min, c[i]);
      sum += c[i];
    }
    System.out.printf(
        "all-minilm-l6-v2-q (ONNX import) vs fp32 held-out: %d inputs, min %.6f, mean %.6f%n",
        c.length, min, sum / c.length);
    // ONNX Runtime running the same -q file scores min 0.970 / mean 0.989 against the fp32 file on
    // this set (it also quantizes activations); the export's per-tensor uint8 embedding tables are
    // what keeps it below the 0.99 that scripts/quantize's per-row tables reach.
    assertTrue(sum / c.length >= 0.99, "mean cosine " + sum / c.length);
    for (int i = 0; i < c.length; i++) {
      assertTrue(c[i] >= 0.97, "held-out input " + i + " '" + texts.get(i) + "': cosine " + c[i]);
    }
  }

  /**
   * The imported export gets a graph too (uint8 embedding tables with zero points dequantized in
   * the graph, the int8 linears on blockwise int8 kernels); on ONNX Runtime it stays at least as
   * close to fp32 as the export itself running there (min 0.970 / mean 0.989 on this set, see
   * above). Measured: min 0.979, mean 0.996 (with the per-tensor DynamicQuantizeMatMul kernel it
   * was min 0.964, mean 0.989).
   */
  @Test
  void itsCompiledGraphServesOnOnnxRuntime() throws Exception {
    List<String> texts = CalibrationSet.heldOut().texts();
    try (TextEncoder graph = QuantFixtures.loadServing(qDir)) {
      double[] c = QuantFixtures.cosines(fp32, graph, texts);
      double min = 1;
      double sum = 0;
      for (double x : c) {
        min = Math.min(min, x);
        sum += x;
      }
      System.out.printf(
          "all-minilm-l6-v2-q graph on ONNX Runtime vs fp32 held-out: min %.6f, mean %.6f%n",
          min, sum / c.length);
      assertTrue(sum / c.length >= 0.99, "mean cosine " + sum / c.length);
      assertTrue(min >= 0.97, "min cosine " + min);
    }
  }
}
