package io.maaskit.functions.testing;

import io.maaskit.it.TestModels;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.util.Map;

/**
 * Points the functions at a local store holding the real all-MiniLM-L6-v2 package, the tiny random
 * Llama generators, the tiny random cross-encoder (the default reranker), token classifier and
 * question answerer (the defaults of their tasks).
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
      TestModels.tinyTokenClassifier();
      TestModels.tinyQuestionAnswerer();
      return Map.of(
          "maas.model-store",
          TestModels.storeRoot().toString(),
          "maas.default-model",
          "all-minilm-l6-v2",
          "maas.generation.default-model",
          GENERATOR,
          "maas.default-reranker",
          TestModels.TINY_RERANKER,
          "maas.default-token-classifier",
          TestModels.TINY_NER,
          "maas.default-question-answerer",
          TestModels.TINY_QA,
          "maas.cache-dir",
          Path.of("target", "cache").toAbsolutePath().toString());
    } catch (Exception e) {
      throw new IllegalStateException("could not prepare the test model store", e);
    }
  }

  @Override
  public void stop() {}
}
