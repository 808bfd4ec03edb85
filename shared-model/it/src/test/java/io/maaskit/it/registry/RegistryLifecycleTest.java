package io.maaskit.it.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.Progress;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.GenerateRequest;
import io.maaskit.model.task.GenerationOptions;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.SamplingParams;
import io.maaskit.tools.importer.HfDirectoryImporter;
import io.maaskit.tools.importer.ImportOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models come and go: a retrained version replaces the old one (which is unloaded, its bytes
 * returned to the budget, its decode thread ended), and a model beyond the memory budget evicts an
 * idle one instead of being refused. Real packages (the tiny decoders), real loads.
 */
class RegistryLifecycleTest {
  private static Engine engine;

  @BeforeAll
  static void fixtures() throws Exception {
    TestModels.tinyLlama();
    TestModels.tinyQwen2();
    engine = Engine.start(EngineOptions.defaults());
  }

  /** Imports a tiny decoder's Hugging Face directory into {@code root} as {@code name@version}. */
  private static void publish(Path root, String tiny, String name, String version)
      throws Exception {
    HfDirectoryImporter.importModel(
        TestModels.tinyHfDir(tiny),
        root.resolve(name).resolve(version),
        new ImportOptions(name, version, null, false, null),
        Progress.NONE);
  }

  private static ModelRegistry registry(Path root, RegistryOptions options) {
    LocalModelStore store = new LocalModelStore(root);
    return new ModelRegistry(
        store,
        new PackageLoader(
            store, new PackageCache(root.resolve(".cache"), 0), LoadMode.CACHE, engine),
        options);
  }

  private static long decodeThreads(String model) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals("maas-decode-" + model))
        .count();
  }

  private static GenerateRequest prompt() {
    return GenerateRequest.completion(null, "The weather is", SamplingParams.greedy(4));
  }

  @Test
  void retrainedVersionReplacesTheOldOneAndReturnsItsMemory(@TempDir Path root) throws Exception {
    publish(root, TestModels.TINY_LLAMA, "chat", "1");
    // TTL zero: every version-less request looks for the newest version (production: 30 s).
    RegistryOptions options = RegistryOptions.defaults().withLatestTtl(Duration.ZERO);
    try (ModelRegistry registry = registry(root, options);
        GenerationService generation =
            new GenerationService(registry, "chat", GenerationOptions.defaults())) {
      generation.generate(prompt(), Cancellation.NONE);
      long v1Bytes = registry.bytesInUse();
      assertTrue(v1Bytes > 0, "a loaded model holds budget bytes");
      assertEquals(1, decodeThreads("chat"));

      publish(root, TestModels.TINY_QWEN2, "chat", "2"); // the retrained version
      var second = generation.generate(prompt(), Cancellation.NONE);
      assertEquals("chat", second.model());

      List<ModelRegistry.Status> status = registry.status();
      assertEquals(
          List.of("chat@2"),
          status.stream().map(ModelRegistry.Status::model).toList(),
          "" + status);
      ModelRegistry.Unloaded gone = registry.unloaded().get(0);
      assertEquals("chat@1", gone.model());
      assertTrue(gone.reason().contains("superseded by 'chat@2'"), gone.reason());
      assertEquals(v1Bytes, gone.bytes(), "the old version's bytes come back to the budget");
      LoadedModel v2 = registry.get(ModelId.parse("chat@2"));
      assertEquals(v2.weightBytes(), registry.bytesInUse(), "only the new version is held");
      assertNotEquals(v1Bytes, v2.weightBytes(), "a different network");
      assertEquals(1, decodeThreads("chat"), "the old version's decode thread ended with it");
      assertEquals(1, generation.decodeThreads());
    }
  }

  @Test
  void modelBeyondTheBudgetEvictsAnIdleOneAndLoads(@TempDir Path root) throws Exception {
    publish(root, TestModels.TINY_LLAMA, "first", "1");
    publish(root, TestModels.TINY_QWEN2, "second", "1");
    long firstBytes;
    long secondBytes;
    try (ModelRegistry unlimited = registry(root, RegistryOptions.defaults())) {
      firstBytes = unlimited.get(ModelId.parse("first@1")).weightBytes();
      secondBytes = unlimited.get(ModelId.parse("second@1")).weightBytes();
    }
    // Room for either model, not for both.
    long budget = Math.max(firstBytes, secondBytes) + Math.min(firstBytes, secondBytes) / 2;
    try (ModelRegistry registry =
            registry(root, RegistryOptions.defaults().withMemoryBudget(budget));
        GenerationService generation =
            new GenerationService(registry, null, GenerationOptions.defaults())) {
      ModelId first = ModelId.parse("first@1");
      ModelId second = ModelId.parse("second@1");

      // While the first is in use, the second cannot have its memory: 503 with Retry-After.
      try (var busy = registry.lease(first, Capability.GENERATOR, TextGenerator.class)) {
        ModelUnavailableException refused =
            assertThrows(
                ModelUnavailableException.class,
                () -> registry.lease(second, Capability.GENERATOR, TextGenerator.class));
        assertTrue(refused.getMessage().contains("memory budget"), refused.getMessage());
        assertTrue(registry.unloaded().isEmpty(), "a model in use is never evicted");
      }

      // Idle now: the second model evicts it and loads.
      generation.generate(
          GenerateRequest.completion("second@1", "The weather is", SamplingParams.greedy(4)),
          Cancellation.NONE);
      assertEquals(
          List.of("second@1"),
          registry.status().stream()
              .filter(s -> s.state() == ModelRegistry.State.READY)
              .map(ModelRegistry.Status::model)
              .toList());
      ModelRegistry.Unloaded evicted = registry.unloaded().get(0);
      assertEquals("first@1", evicted.model());
      assertTrue(evicted.reason().contains("evicted"), evicted.reason());
      assertTrue(evicted.reason().contains("second@1"), evicted.reason());
      assertEquals(firstBytes, evicted.bytes());
      assertEquals(secondBytes, registry.bytesInUse());
      assertTrue(registry.bytesInUse() <= budget);
    }
  }
}
