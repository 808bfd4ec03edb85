package io.maaskit.it.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.NotSupportedException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.registry.EngineChoice;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.EmbeddingService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry on real engines and a real package: which engine each {@code MAAS_ENGINE} setting
 * serves it on (with and without its compiled graph), the PyTorch copy explanations load beside an
 * ONNX Runtime one, and that both give the same embeddings.
 */
class EngineChoiceRegistryTest {
  static final ModelId WITH_GRAPH = ModelId.parse("all-minilm-l6-v2@1");
  static final ModelId NO_GRAPH = ModelId.parse("minilm-no-graph@1");
  static final ModelId LLAMA_EAGER = ModelId.parse("tiny-llama-eager@1");
  static final List<String> TEXTS = List.of("A cat sits on the mat.", "Tax filings are due.");
  static final RegistryOptions FAST =
      new RegistryOptions(Duration.ofSeconds(60), Duration.ofMillis(50), Duration.ofMillis(100), 0);

  @TempDir static Path tmp;
  static Path root;

  @BeforeAll
  static void store() throws Exception {
    root = tmp.resolve("models");
    Path src = TestModels.miniLm();
    Path with = root.resolve("all-minilm-l6-v2").resolve("1");
    Path without = root.resolve("minilm-no-graph").resolve("1");
    Files.createDirectories(with);
    Files.createDirectories(without);
    try (Stream<Path> files = Files.list(src)) {
      for (Path f : files.toList()) {
        Files.copy(f, with.resolve(f.getFileName()));
        String name = f.getFileName().toString();
        if (!name.equals(EncoderGraph.FILE) && !name.equals(ModelManifest.FILE)) {
          Files.copy(f, without.resolve(name));
        }
      }
    }
    assertTrue(ModelPackage.read(with).file(EncoderGraph.FILE) != null, "the importer compiles");
    ModelPackage.seal(without, ModelPackage.read(with).withId("minilm-no-graph", "1"));
    Path llama = root.resolve(TestModels.TINY_LLAMA).resolve("1");
    Path llamaEager = root.resolve(LLAMA_EAGER.name()).resolve("1");
    Files.createDirectories(llama);
    Files.createDirectories(llamaEager);
    try (Stream<Path> files = Files.list(TestModels.tinyLlama())) {
      for (Path f : files.toList()) {
        Files.copy(f, llama.resolve(f.getFileName()));
        String name = f.getFileName().toString();
        if (!name.equals(EncoderGraph.FILE) && !name.equals(ModelManifest.FILE)) {
          Files.copy(f, llamaEager.resolve(name));
        }
      }
    }
    ModelPackage.seal(
        llamaEager, ModelPackage.read(llama).withId(LLAMA_EAGER.name(), LLAMA_EAGER.version()));
  }

  static ModelRegistry registry(String engine) {
    LocalModelStore store = new LocalModelStore(root);
    EngineChoice engines = EngineChoice.start(new EngineOptions(engine, "cpu", 0, true));
    return new ModelRegistry(
        store,
        new PackageLoader(
            store, new PackageCache(tmp.resolve("cache"), 0), LoadMode.CACHE, engines),
        FAST);
  }

  static String engineOf(ModelRegistry r, ModelId id) {
    return r.get(id).engine().name();
  }

  @Test
  void autoServesTheGraphOnOnnxRuntimeAndTheRestOnPyTorch() {
    try (ModelRegistry r = registry("auto")) {
      assertEquals("onnxruntime", engineOf(r, WITH_GRAPH));
      assertEquals("pytorch", engineOf(r, NO_GRAPH));
      List<ModelRegistry.Status> status = r.status();
      assertEquals("onnxruntime", status.get(0).engine(), status.toString());
      assertEquals("pytorch", status.get(1).engine(), status.toString());
    }
  }

  @Test
  void explanationsGetAPyTorchCopyThatEmbedsLikeTheOnnxRuntimeOne() {
    try (ModelRegistry r = registry("auto")) {
      TextEncoder served = r.get(WITH_GRAPH, Capability.ENCODER, TextEncoder.class);
      TextEncoder eager = r.getDifferentiable(WITH_GRAPH, Capability.ENCODER, TextEncoder.class);
      assertNotSame(served, eager);
      assertEquals("pytorch", ((LoadedModel) eager).engine().name());
      assertTrue(eager instanceof Explainable, "the PyTorch model computes gradients");
      assertEquals(
          eager,
          r.getDifferentiable(WITH_GRAPH, Capability.ENCODER, TextEncoder.class),
          "loaded once");
      float[][] a = EmbeddingService.embed(served, TEXTS, true).vectors();
      float[][] b = EmbeddingService.embed(eager, TEXTS, true).vectors();
      for (int i = 0; i < a.length; i++) {
        double dot = 0;
        for (int j = 0; j < a[i].length; j++) {
          dot += a[i][j] * b[i][j];
        }
        assertTrue(dot > 0.9999, "cosine " + dot);
      }
      assertEquals(2, r.status().size(), "/info lists both copies: " + r.status());
    }
  }

  @Test
  void aPackageServedOnPyTorchIsExplainedWithoutASecondCopy() {
    try (ModelRegistry r = registry("auto")) {
      TextEncoder served = r.get(NO_GRAPH, Capability.ENCODER, TextEncoder.class);
      assertEquals(served, r.getDifferentiable(NO_GRAPH, Capability.ENCODER, TextEncoder.class));
      assertEquals(1, r.status().size(), r.status().toString());
    }
  }

  @Test
  void forcedOnnxRuntimeRefusesAPackageWithoutAGraphSayingHowToCompileOne() {
    try (ModelRegistry r = registry("onnxruntime")) {
      assertEquals("onnxruntime", engineOf(r, WITH_GRAPH));
      NotSupportedException e = assertThrows(NotSupportedException.class, () -> r.get(NO_GRAPH));
      assertTrue(e.getMessage().contains("has no ONNX graph (model.onnx)"), e.getMessage());
      assertTrue(e.getMessage().contains("scripts/compile-onnx"), e.getMessage());
      assertTrue(e.getMessage().contains("set the engine to auto"), e.getMessage());
    }
  }

  /**
   * Generators are chosen like encoders: the compiled decoder graph on ONNX Runtime, a package
   * without one on the eager engine, and refused, naming the way out, where only graphs run.
   */
  @Test
  void generatorsServeFromTheirGraphOnOnnxRuntimeAndEagerlyWithoutOne() {
    ModelId llama = ModelId.parse(TestModels.TINY_LLAMA + "@1");
    try (ModelRegistry r = registry("auto")) {
      assertEquals("onnxruntime", engineOf(r, llama));
      assertEquals("pytorch", engineOf(r, LLAMA_EAGER));
    }
    try (ModelRegistry r = registry("onnxruntime")) {
      assertEquals("onnxruntime", engineOf(r, llama));
      NotSupportedException e = assertThrows(NotSupportedException.class, () -> r.get(LLAMA_EAGER));
      assertTrue(e.getMessage().contains("has no ONNX graph (model.onnx)"), e.getMessage());
      assertTrue(e.getMessage().contains("scripts/compile-onnx"), e.getMessage());
    }
  }

  @Test
  void forcedPyTorchServesTheGraphPackageEagerly() throws Exception {
    ModelManifest m = ModelPackage.read(root.resolve("all-minilm-l6-v2").resolve("1"));
    try (ModelRegistry r = registry("pytorch")) {
      assertEquals("pytorch", engineOf(r, WITH_GRAPH));
      assertEquals(
          m.totalBytes() - m.file(EncoderGraph.FILE).size(),
          r.status().get(0).stats().bytesLocal(),
          "PyTorch never reads the compiled graph");
    }
  }
}
