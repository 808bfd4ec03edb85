package io.maaskit.model;

import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.registry.EngineChoice;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.ModelStores;
import io.maaskit.model.store.S3Stores;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.Admission;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.task.ExplainService;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.QuestionAnsweringService;
import io.maaskit.model.task.RerankService;
import io.maaskit.model.task.TokenClassificationService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving core behind one entry point: built from {@link RuntimeSettings}, it wires store,
 * cache, engines, registry and admission once, and hands the adapters the task services they call.
 * Nothing starts until first use (the first request, or {@link #startEngine()}), so a bad setting
 * is reported by the request that needs it.
 *
 * <pre>{@code
 * try (ModelRuntime runtime = new ModelRuntime(settings)) {
 *   Embeddings e = runtime.embeddings().embed(new EmbedRequest(null, List.of("a cat"), true, null));
 * }
 * }</pre>
 */
public final class ModelRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRuntime.class);

  private final RuntimeSettings settings;
  private volatile ModelRegistry registry;
  private volatile EngineChoice engines;
  private final Admission admission;
  private final Memo<EmbeddingService> embeddings;
  private final Memo<ClassificationService> classification;
  private final Memo<RerankService> reranking;
  private final Memo<ExplainService> explanations;
  private final Memo<GenerationService> generation;
  private final Memo<TokenClassificationService> tokenClassification;
  private final Memo<QuestionAnsweringService> questionAnswering;

  public ModelRuntime(RuntimeSettings settings) {
    this.settings = settings;
    this.admission = new Admission(settings.admission());
    RuntimeSettings.Defaults d = settings.models();
    embeddings =
        new Memo<>(() -> new EmbeddingService(registry(), d.embedding(), d.maxInputs(), admission));
    classification =
        new Memo<>(
            () -> new ClassificationService(registry(), d.classifier(), d.maxInputs(), admission));
    reranking =
        new Memo<>(() -> new RerankService(registry(), d.reranker(), d.maxInputs(), admission));
    explanations =
        new Memo<>(
            () ->
                new ExplainService(
                    registry(),
                    d.classifier(),
                    d.generator(),
                    d.explainMaxInputs(),
                    d.explainSteps(),
                    admission,
                    d.explainMaxCost()));
    generation =
        new Memo<>(() -> new GenerationService(registry(), d.generator(), settings.generation()));
    tokenClassification =
        new Memo<>(
            () ->
                new TokenClassificationService(
                    registry(), d.tokenClassifier(), d.maxInputs(), admission));
    questionAnswering =
        new Memo<>(() -> new QuestionAnsweringService(registry(), d.questionAnswerer(), admission));
  }

  /** The settings it was built from. */
  public RuntimeSettings settings() {
    return settings;
  }

  /** Embeddings ({@code /embed}, OpenAI embeddings, the queue's {@code embed}). */
  public EmbeddingService embeddings() {
    return embeddings.get();
  }

  /** Classification ({@code /predict}, the queue's {@code classify}). */
  public ClassificationService classification() {
    return classification.get();
  }

  /** Reranking ({@code /rerank}). */
  public RerankService reranking() {
    return reranking.get();
  }

  /** Explanations of decisions and completions ({@code /explain}). */
  public ExplainService explanations() {
    return explanations.get();
  }

  /** Entities per token ({@code /predict} on a token classifier, the queue's {@code ner}). */
  public TokenClassificationService tokenClassification() {
    return tokenClassification.get();
  }

  /** Extractive question answering ({@code /answer}, the queue's {@code answer}). */
  public QuestionAnsweringService questionAnswering() {
    return questionAnswering.get();
  }

  /** Text generation (completions, chat). */
  public GenerationService generation() {
    return generation.get();
  }

  /** The admission control every service shares. */
  public Admission admission() {
    return admission;
  }

  /** The model registry: what is loaded, evicted, and the store behind it. */
  public ModelRegistry registry() {
    ModelRegistry r = registry;
    if (r == null) {
      synchronized (this) {
        if (registry == null) {
          registry = create();
        }
        r = registry;
      }
    }
    return r;
  }

  private ModelRegistry create() {
    String location = settings.modelStore();
    ModelStore store =
        location.startsWith("s3://")
            ? S3Stores.open(location, settings.s3())
            : ModelStores.open(location);
    EngineChoice e = EngineChoice.start(settings.engine());
    engines = e;
    LOG.info(
        "model store {}, cache {} ({} mode), default model {}, engine {} (carried: {}{})",
        store.uri(),
        settings.cacheDir(),
        settings.loadMode(),
        settings.models().embedding(),
        e.setting(),
        String.join(", ", e.carried()),
        e.gpu() ? "; GPU" : "");
    return new ModelRegistry(
        store,
        new PackageLoader(
            store,
            new PackageCache(settings.cacheDir(), settings.cacheBudgetBytes()),
            settings.loadMode(),
            e),
        settings.registry());
  }

  /**
   * The engine for training (one that runs eager networks and computes gradients), started on first
   * use.
   *
   * @throws io.maaskit.model.error.NotSupportedException in a deployable without one
   */
  public EagerEngine trainingEngine() {
    registry();
    return engines.forTraining();
  }

  /**
   * Starts the serving engine (its natives and threads) ahead of requests, so that the first
   * request does not pay for it.
   *
   * @throws RuntimeException the engine cannot start; the first request that needs it reports the
   *     same problem
   */
  public void startEngine() {
    registry();
    engines.startDefault();
  }

  /**
   * New store clients (fresh credentials and connections), after a snapshot restore. The core keeps
   * no random state between requests, so nothing else needs reseeding.
   */
  public void refreshClients() {
    ModelRegistry r = registry;
    if (r != null) {
      r.store().refreshClients();
    }
  }

  /** Unloads every model and ends the generators' threads. */
  @Override
  public void close() {
    ModelRegistry r = registry;
    if (r != null) {
      r.close();
    }
  }

  /** A value built once, on first use. */
  private static final class Memo<T> {
    private final Supplier<T> build;
    private volatile T value;

    Memo(Supplier<T> build) {
      this.build = build;
    }

    T get() {
      T v = value;
      if (v == null) {
        synchronized (this) {
          if (value == null) {
            value = build.get();
          }
          v = value;
        }
      }
      return v;
    }
  }
}
