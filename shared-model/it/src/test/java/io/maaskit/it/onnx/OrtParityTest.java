package io.maaskit.it.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.testing.TestTexts;
import io.maaskit.tools.importer.OnnxGraph;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.OnnxCompiler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiled fp32 graph on ONNX Runtime against the eager PyTorch path, input by input, for the
 * three real encoders: MiniLM (mean), bge-small ([CLS]) and e5-small (mean).
 */
class OrtParityTest {
  @Test
  void miniLm() throws Exception {
    check(TestModels.miniLm());
  }

  @Test
  void bgeSmallClsPooling() throws Exception {
    check(TestModels.bgeSmall());
  }

  @Test
  void e5Small() throws Exception {
    check(TestModels.e5Small());
  }

  /**
   * ONNX Runtime alone refuses a package without a graph (it hands nothing to another engine);
   * where an eager engine is present too, the loader serves the package on it.
   */
  @Test
  void aPackageWithoutAGraphServesOnTheEagerEngineAndNotOnOnnxRuntimeAlone(@TempDir Path tmp)
      throws Exception {
    Path src = TestModels.miniLm();
    Path dir = Files.createDirectories(tmp.resolve("store/no-graph/1"));
    for (String f : List.of("config.json", "tokenizer.json", "model.safetensors")) {
      Files.copy(src.resolve(f), dir.resolve(f));
    }
    ModelPackage.seal(dir, ModelPackage.read(src).withId("no-graph", "1"));
    List<String> texts = OrtFixtures.inputs().subList(0, 5);
    io.maaskit.model.error.NotSupportedException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.maaskit.model.error.NotSupportedException.class,
            () -> OrtFixtures.load(dir, OrtFixtures.onnxRuntime()));
    assertTrue(refused.getMessage().contains("scripts/compile-onnx"), refused.getMessage());
    try (LoadedModel eager = OrtFixtures.load(src, OrtFixtures.pytorch());
        LoadedModel fallback =
            OrtFixtures.load(
                dir,
                io.maaskit.model.registry.EngineChoice.start(
                    new io.maaskit.model.engine.EngineOptions("auto", "cpu", 0, true)))) {
      assertTrue(fallback instanceof Explainable, "the eager model, gradients included");
      assertEquals("pytorch", fallback.engine().name());
      float[][] a = EmbeddingService.embed((TextEncoder) eager, texts, true).vectors();
      float[][] b = EmbeddingService.embed((TextEncoder) fallback, texts, true).vectors();
      for (int i = 0; i < texts.size(); i++) {
        assertArrayEquals(a[i], b[i], 1e-6f, "input " + i);
      }
    }
  }

  /** The fused-attention variant (one com.microsoft.MultiHeadAttention per layer) agrees too. */
  @Test
  void fusedAttentionGraphMatchesPyTorch(@TempDir Path tmp) throws Exception {
    Path src = TestModels.miniLm();
    Path dir = Files.createDirectories(tmp.resolve("store/fused/1"));
    for (String f : List.of("config.json", "tokenizer.json", "model.safetensors")) {
      Files.copy(src.resolve(f), dir.resolve(f));
    }
    ModelPackage.seal(dir, ModelPackage.read(src).withId("fused", "1"));
    OnnxCompiler.Result r =
        OnnxCompiler.compile(
            dir,
            new CompileOptions(CompileOptions.Int8Kernel.BLOCKWISE, 32, true),
            io.maaskit.model.store.Progress.NONE);
    assertEquals(6, r.ops().get("MultiHeadAttention"));
    List<String> texts = OrtFixtures.inputs();
    try (LoadedModel eager = OrtFixtures.load(src, OrtFixtures.pytorch());
        LoadedModel graph = OrtFixtures.load(dir, OrtFixtures.onnxRuntime())) {
      float[][] a = EmbeddingService.embed((TextEncoder) eager, texts, true).vectors();
      float[][] b = EmbeddingService.embed((TextEncoder) graph, texts, true).vectors();
      for (int i = 0; i < texts.size(); i++) {
        double c = TestTexts.cosine(a[i], b[i]);
        assertTrue(c >= 0.9999, "input " + i + ": cosine " + c);
      }
    }
  }

  static void check(Path dir) throws Exception {
    assertTrue(
        ModelPackage.read(dir).file(EncoderGraph.FILE) != null,
        "the imported package lists " + EncoderGraph.FILE);
    OnnxGraph g = OnnxGraph.read(dir.resolve(EncoderGraph.FILE));
    Map<String, Long> ops = new TreeMap<>();
    g.nodes().forEach(n -> ops.merge(n.op(), 1L, Long::sum));
    System.out.println(dir.getParent().getFileName() + " fp32 graph ops: " + ops);
    int layers = (int) ops.get("LayerNormalization").longValue() / 2;
    assertEquals(layers * 6, ops.get("MatMul")); // QKV, Q·K^T, P·V, output, FFN in, FFN out
    assertFalse(ops.containsKey("MatMulNBits") || ops.containsKey("DynamicQuantizeMatMul"));
    List<String> texts = OrtFixtures.inputs();
    assertTrue(texts.size() >= 30);
    try (LoadedModel eager = OrtFixtures.load(dir, OrtFixtures.pytorch());
        LoadedModel graph = OrtFixtures.load(dir, OrtFixtures.onnxRuntime())) {
      assertTrue(eager instanceof Explainable, "PyTorch serves the eager model");
      assertFalse(
          graph instanceof Explainable, "ONNX Runtime serves the graph, which cannot explain");
      assertEquals("onnxruntime", graph.engine().name());
      TextEncoder a = (TextEncoder) eager;
      TextEncoder b = (TextEncoder) graph;
      for (boolean normalize : new boolean[] {true, false}) {
        float[][] ref = EmbeddingService.embed(a, texts, normalize).vectors();
        float[][] ort = EmbeddingService.embed(b, texts, normalize).vectors();
        double worst = 1;
        for (int i = 0; i < texts.size(); i++) {
          assertEquals(ref[i].length, ort[i].length);
          double c = TestTexts.cosine(ref[i], ort[i]);
          worst = Math.min(worst, c);
          assertTrue(c >= 0.9999, "input " + i + " '" + texts.get(i) + "': cosine " + c);
        }
        System.out.printf(
            "ORT fp32 vs PyTorch, %s (normalize=%s): %d inputs, min cosine %.9f%n",
            dir.getParent().getFileName(), normalize, texts.size(), worst);
      }
      // one input alone runs unpadded; its vector matches the same input inside a padded batch
      float[] single = EmbeddingService.embed(b, List.of(texts.get(2)), true).vectors()[0];
      float[] inBatch = EmbeddingService.embed(b, texts, true).vectors()[2];
      assertTrue(TestTexts.cosine(single, inBatch) >= 0.99999);
    }
  }
}
