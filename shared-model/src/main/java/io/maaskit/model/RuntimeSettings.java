package io.maaskit.model;

import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.store.S3Settings;
import io.maaskit.model.task.AdmissionOptions;
import io.maaskit.model.task.GenerationOptions;
import java.nio.file.Path;

/**
 * Everything a {@link ModelRuntime} is built from, as the adapter's configuration mapping filled it
 * (defaults are the records' own {@code defaults()}).
 *
 * @param modelStore where packages live: a directory or an {@code s3://bucket/prefix} URI
 * @param s3 the S3 client's settings, for an {@code s3://} store
 * @param cacheDir where downloaded packages are kept (SHA-256 verified)
 * @param cacheBudgetBytes most bytes the cache keeps; 0 = unlimited
 * @param loadMode load packages from the cache directory or straight into memory
 * @param engine the serving engine, device and threads
 * @param registry load waits, retry backoff, the memory budget
 * @param admission concurrent batches, queue, wait, tokens per request
 * @param generation generation limits
 * @param models the models used when a request names none, and per-request input limits
 */
public record RuntimeSettings(
    String modelStore,
    S3Settings s3,
    Path cacheDir,
    long cacheBudgetBytes,
    LoadMode loadMode,
    EngineOptions engine,
    RegistryOptions registry,
    AdmissionOptions admission,
    GenerationOptions generation,
    Defaults models) {

  /**
   * The models used when a request names none, and per-request limits of the task services.
   *
   * @param embedding {@code /embed}'s model
   * @param classifier {@code /predict}'s and {@code /explain}'s model
   * @param reranker {@code /rerank}'s model, or null when there is no default
   * @param tokenClassifier the entities' model ({@code /predict} without a model, the queue's
   *     {@code ner}), or null when there is no default
   * @param questionAnswerer {@code /answer}'s model, or null when there is no default
   * @param generator the generation routes' model, or null when there is no default
   * @param maxInputs most inputs per request (embed, classify, rerank, entities)
   * @param explainMaxInputs most inputs per {@code /explain} request
   * @param explainSteps Integrated Gradients steps when a request gives none
   * @param explainMaxCost most forward passes one {@code /explain} request may cost
   */
  public record Defaults(
      String embedding,
      String classifier,
      String reranker,
      String tokenClassifier,
      String questionAnswerer,
      String generator,
      int maxInputs,
      int explainMaxInputs,
      int explainSteps,
      long explainMaxCost) {}
}
