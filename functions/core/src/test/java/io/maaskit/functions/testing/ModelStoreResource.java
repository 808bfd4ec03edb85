package io.maaskit.functions.testing;

import io.maaskit.it.TestModels;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.util.Map;

/**
 * Points the functions at a local store holding the real all-MiniLM-L6-v2 package, the tiny random
 * Llama generators and the tiny random cross-encoder (the default reranker).
 */
public class ModelStoreResource implements QuarkusTestResourceLifecycleManager {
  /** The generator package in the store ({@code TestModels.tinyLlama()}). */
  public static final String GENERATOR = TestModels.TINY_LLAMA;

  @Override
  public Map<String, String> start() {
    try {
      TestModels.tinyLlama();
      TestModels.tinyQwen2Tools();
      TestModels.tinyLlamaTools();
      TestModels.tinyCrossEncoder();
      return Map.of(
          "maas.model-store",
          TestModels.storeRoot().toString(),
          "maas.default-model",
          "all-minilm-l6-v2",
          "maas.generation.default-model",
          GENERATOR,
          "maas.default-reranker",
          TestModels.TINY_RERANKER,
          "maas.cache-dir",
          Path.of("target", "cache").toAbsolutePath().toString());
    } catch (Exception e) {
      throw new IllegalStateException("could not prepare the test model store", e);
    }
  }

  @Override
  public void stop() {}
}
