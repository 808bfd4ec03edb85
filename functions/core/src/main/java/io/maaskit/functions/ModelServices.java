package io.maaskit.functions;

import io.maaskit.model.ModelRuntime;
import io.maaskit.model.RuntimeSettings;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.store.ModelHome;
import io.maaskit.model.store.S3Settings;
import io.maaskit.model.task.Admission;
import io.maaskit.model.task.AdmissionOptions;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.task.ExplainService;
import io.maaskit.model.task.GenerationOptions;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.QuestionAnsweringService;
import io.maaskit.model.task.RerankService;
import io.maaskit.model.task.TokenClassificationService;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * Turns {@link MaasConfig} into the core's {@link RuntimeSettings} and holds the process's one
 * {@link ModelRuntime}, whose task services it produces as beans. The only class that turns
 * configuration into core records.
 */
@Singleton
public class ModelServices {
  private static final Logger LOG = Logger.getLogger(ModelServices.class);

  private final MaasConfig config;
  private volatile ModelRuntime core;

  public ModelServices(MaasConfig config) {
    this.config = config;
  }

  /** The process's runtime, built from configuration on first use (nothing starts until then). */
  public ModelRuntime core() {
    ModelRuntime c = core;
    if (c == null) {
      synchronized (this) {
        if (core == null) {
          core = new ModelRuntime(settings());
        }
        c = core;
      }
    }
    return c;
  }

  /** The configuration as the core's settings record. */
  RuntimeSettings settings() {
    ExplainDefaults e = new ExplainDefaults();
    String store = storeLocation();
    Path cache = cacheDir();
    LoadMode mode = loadMode();
    EngineOptions engine;
    try {
      engine = engineOptions();
    } catch (IllegalArgumentException bad) {
      throw engineSetting(bad);
    }
    return new RuntimeSettings(
        store,
        s3Settings(),
        cache,
        cacheBudgetBytes(),
        mode,
        engine,
        registryOptions(),
        admissionOptions(),
        generationOptions(),
        new RuntimeSettings.Defaults(
            config.defaultModel(),
            config.defaultClassifier(),
            config.defaultReranker().orElse(null),
            config.defaultTokenClassifier().orElse(null),
            config.defaultQuestionAnswerer().orElse(null),
            config.generation().defaultModel().orElse(null),
            config.maxInputs(),
            config.explainMaxInputs(),
            e.steps,
            e.maxCost));
  }

  /** {@code maas.explain-*} over the explanation service's defaults. */
  private final class ExplainDefaults {
    final int steps = config.explainSteps().orElse(ExplainService.DEFAULT_STEPS);
    final long maxCost = config.explainMaxCost().orElse(ExplainService.DEFAULT_MAX_COST);
  }

  /** The process-wide registry, created on first use. */
  public ModelRegistry registry() {
    ModelRuntime c = core();
    try {
      return c.registry();
    } catch (IllegalArgumentException e) {
      throw engineSetting(e);
    }
  }

  private static IllegalArgumentException engineSetting(IllegalArgumentException e) {
    return new IllegalArgumentException(
        "maas.engine (MAAS_ENGINE) / maas.device (MAAS_DEVICE): " + e.getMessage(), e);
  }

  /**
   * {@code maas.engine}, {@code maas.device}, {@code maas.threads} as the core's record; natives
   * are never downloaded.
   */
  EngineOptions engineOptions() {
    String engine = config.engine().trim().toLowerCase(Locale.ROOT);
    if (!Engine.names().contains(engine)) {
      throw new IllegalArgumentException(
          "maas.engine (MAAS_ENGINE) must be "
              + String.join(", ", Engine.names())
              + ", not '"
              + config.engine()
              + "'");
    }
    try {
      return new EngineOptions(engine, config.device(), config.threads(), true);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "maas.device (MAAS_DEVICE) / maas.threads (MAAS_THREADS): " + e.getMessage(), e);
    }
  }

  /**
   * {@link ModelHome}: {@code maas.home}, else {@code $XDG_CACHE_HOME/maaskit}, else the user's.
   */
  Path home() {
    return ModelHome.resolve(
        k -> k.equals("MAAS_HOME") ? config.home().orElse(null) : System.getenv(k),
        System.getProperty("user.home"));
  }

  /** {@code maas.model-store}, else {@code <home>/models}. */
  String storeLocation() {
    return config.modelStore().orElse(home().resolve(ModelHome.MODELS).toString());
  }

  /** {@code maas.cache-dir}, else {@code <home>/cache}. */
  Path cacheDir() {
    return config.cacheDir().map(Path::of).orElse(home().resolve(ModelHome.CACHE));
  }

  /** {@code maas.cache-budget-mb} in bytes; 0 = unlimited. */
  long cacheBudgetBytes() {
    return mb("maas.cache-budget-mb", config.cacheBudgetMb());
  }

  /** {@code maas.load-mode}. */
  LoadMode loadMode() {
    return switch (config.loadMode().toLowerCase(Locale.ROOT)) {
      case "cache" -> LoadMode.CACHE;
      case "memory" -> LoadMode.MEMORY;
      default ->
          throw new IllegalArgumentException(
              "maas.load-mode (MAAS_LOAD_MODE) must be cache or memory, not " + config.loadMode());
    };
  }

  /** The registry's options: configured values over {@link RegistryOptions#defaults()}. */
  RegistryOptions registryOptions() {
    RegistryOptions d = RegistryOptions.defaults();
    return new RegistryOptions(
        config.loadWait().orElse(d.loadWait()),
        config.retryBackoff().orElse(d.retryBackoff()),
        d.maxRetryBackoff(),
        config
            .memoryBudgetMb()
            .map(m -> mb("maas.memory-budget-mb", m))
            .orElse(d.memoryBudgetBytes()),
        d.latestTtl());
  }

  private static long mb(String key, long mb) {
    if (mb < 0) {
      throw new IllegalArgumentException(key + " must be 0 (unlimited) or more MB, got " + mb);
    }
    return Math.multiplyExact(mb, 1024L * 1024);
  }

  /**
   * The engine for training (one that runs eager networks and computes gradients), started on first
   * use.
   *
   * @throws io.maaskit.model.error.NotSupportedException in a deployable without one
   */
  public Engine runtime() {
    registry();
    return core().trainingEngine();
  }

  /**
   * Starts the serving engine (its natives, threads) ahead of requests; the boot thread runs this
   * beside {@link #lookUpDefault()}, so the engine's start overlaps the store's round trips.
   */
  void startEngine() {
    registry();
    try {
      core().startEngine();
      LOG.info(BootClock.mark("serving engine ready"));
    } catch (RuntimeException e) {
      // The first request that needs the engine reports the same problem as its error.
      LOG.warnf("could not start the serving engine ahead of requests: %s", e.getMessage());
    }
  }

  /** Creates the store's client and looks the default model up, ahead of requests. */
  void lookUpDefault() {
    try {
      registry().store().resolve(io.maaskit.model.pkg.ModelId.parse(config.defaultModel()));
      LOG.info(BootClock.mark("default model looked up in the store"));
    } catch (Exception e) {
      LOG.debugf("looking up %s ahead of requests failed: %s", config.defaultModel(), e);
    }
  }

  /**
   * S3 settings from {@code maas.s3.*} over {@link S3Settings#defaults()}. Path-style addressing
   * follows the endpoint (on with one, off without) unless {@code maas.s3.path-style} says
   * otherwise.
   */
  public S3Settings s3Settings() {
    MaasConfig.S3 c = config.s3();
    S3Settings d = S3Settings.defaults();
    URI endpoint = c.endpoint().map(e -> endpoint("maas.s3.endpoint", e)).orElse(null);
    return new S3Settings(
        endpoint,
        c.region().orElse(d.region()),
        c.pathStyle().orElse(endpoint != null),
        c.partSize().map(ModelServices::partSize).orElse(d.partSizeBytes()),
        c.concurrency().orElse(d.concurrency()),
        c.maxAttempts().orElse(d.maxAttempts()));
  }

  /** An endpoint URL, checked: {@code http://host:port}. */
  static URI endpoint(String key, String value) {
    URI uri = URI.create(value.trim());
    if (uri.getScheme() == null || uri.getHost() == null) {
      throw new IllegalArgumentException(
          key + " '" + value + "' is not a URL like http://localhost:9000");
    }
    return uri;
  }

  private static long partSize(String value) {
    try {
      return S3Settings.parseSize(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "maas.s3.part-size (MAAS_S3_PART_SIZE) must be a size in bytes like 8388608 or 8M, got '"
              + value
              + "'");
    }
  }

  /** Admission limits: configured values over {@link AdmissionOptions#defaults()}. */
  AdmissionOptions admissionOptions() {
    AdmissionOptions d = AdmissionOptions.defaults();
    return new AdmissionOptions(
        config.maxConcurrentBatches().orElse(d.maxConcurrentBatches()),
        config.maxQueuedRequests().orElse(d.maxQueuedRequests()),
        config.admissionWait().orElse(d.maxWait()),
        config.maxRequestTokens().orElse(d.maxRequestTokens()));
  }

  /** The process's admission control, shared by every task service. */
  public Admission admission() {
    return core().admission();
  }

  /** Where nothing better is wired (the SQS Lambda): callers are never considered gone. */
  @Produces
  @Singleton
  @io.quarkus.arc.DefaultBean
  CallerCancellation noCancellation() {
    return () -> io.maaskit.model.task.Cancellation.NONE;
  }

  @Produces
  @Singleton
  EmbeddingService embeddings() {
    registry();
    return core().embeddings();
  }

  @Produces
  @Singleton
  ClassificationService classification() {
    registry();
    return core().classification();
  }

  @Produces
  @Singleton
  RerankService reranking() {
    registry();
    return core().reranking();
  }

  @Produces
  @Singleton
  TokenClassificationService tokenClassification() {
    registry();
    return core().tokenClassification();
  }

  @Produces
  @Singleton
  QuestionAnsweringService questionAnswering() {
    registry();
    return core().questionAnswering();
  }

  @Produces
  @Singleton
  ExplainService explanations() {
    registry();
    return core().explanations();
  }

  /** Generation limits: configured values over {@link GenerationOptions#defaults()}. */
  GenerationOptions generationOptions() {
    GenerationOptions d = GenerationOptions.defaults();
    MaasConfig.Generation c = config.generation();
    return new GenerationOptions(
        c.maxSequences().orElse(d.maxSequences()),
        c.maxQueuedRequests().orElse(d.maxQueuedRequests()),
        c.maxChoices().orElse(d.maxChoices()),
        c.defaultMaxTokens().orElse(d.defaultMaxTokens()));
  }

  @Produces
  @Singleton
  GenerationService generation() {
    registry();
    return core().generation();
  }

  /**
   * After a SnapStart restore: new store clients (fresh credentials and connections, not the
   * snapshot's).
   */
  void afterRestore() {
    ModelRuntime c = core;
    if (c != null) {
      c.refreshClients();
    }
    LOG.info("restored from snapshot: store clients refreshed");
  }

  void shutdown(@Observes ShutdownEvent ev) {
    ModelRuntime c = core;
    if (c != null) {
      c.close();
    }
  }
}
