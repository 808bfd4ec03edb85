package io.maaskit.functions;

import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.PackageLoader;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.ModelStores;
import io.maaskit.model.store.PackageCache;
import io.maaskit.model.store.S3Settings;
import io.maaskit.model.store.S3Stores;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.EmbeddingService;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Wires the core from configuration: store, cache, runtime, registry and task services, one of each
 * per process. The only class that turns {@link MaasConfig} into core records.
 */
@Singleton
public class ModelServices {
  private static final Logger LOG = Logger.getLogger(ModelServices.class);

  private final MaasConfig config;
  private volatile ModelRegistry registry;
  private volatile Engine runtime;

  public ModelServices(MaasConfig config) {
    this.config = config;
  }

  /** The process-wide registry, created on first use. */
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
    String home = System.getProperty("user.home") + "/.cache/maaskit";
    String storeLoc = config.modelStore().orElse(home + "/models");
    ModelStore store =
        storeLoc.startsWith("s3://")
            ? S3Stores.open(storeLoc, s3Settings())
            : ModelStores.open(storeLoc);
    Path cacheDir = Path.of(config.cacheDir().orElse(home + "/cache"));
    LoadMode mode =
        switch (config.loadMode().toLowerCase()) {
          case "cache" -> LoadMode.CACHE;
          case "memory" -> LoadMode.MEMORY;
          default ->
              throw new IllegalArgumentException(
                  "maas.load-mode must be cache or memory, not " + config.loadMode());
        };
    runtime = Engine.start(new EngineOptions(config.device(), config.threads()));
    LOG.infof(
        "model store %s, cache %s (%s mode), default model %s",
        store.uri(), cacheDir, mode, config.defaultModel());
    return new ModelRegistry(
        store,
        new PackageLoader(
            store, new PackageCache(cacheDir, config.cacheBudgetMb() * 1024 * 1024), mode, runtime),
        new RegistryOptions(config.loadWait(), config.retryBackoff(), Duration.ofSeconds(60), 0));
  }

  /** The tensor runtime (started with the registry). */
  public Engine runtime() {
    registry();
    return runtime;
  }

  /** S3 settings from the standard AWS environment, with this application's endpoint override. */
  public S3Settings s3Settings() {
    S3Settings s = S3Settings.fromEnvironment();
    return config.s3Endpoint().map(e -> s.withEndpoint(java.net.URI.create(e))).orElse(s);
  }

  @Produces
  @Singleton
  EmbeddingService embeddings() {
    return new EmbeddingService(registry(), config.defaultModel(), config.maxInputs());
  }

  /**
   * After a SnapStart restore: new store clients (fresh credentials and connections, not the
   * snapshot's). The core keeps no random state between requests, so nothing else needs reseeding.
   */
  @Produces
  @Singleton
  ClassificationService classification() {
    return new ClassificationService(registry(), config.defaultClassifier(), config.maxInputs());
  }

  void afterRestore() {
    ModelRegistry r = registry;
    if (r != null) {
      r.store().refreshClients();
    }
    LOG.info("restored from snapshot: store clients refreshed");
  }

  void shutdown(@Observes ShutdownEvent ev) {
    if (registry != null) {
      registry.close();
    }
  }
}
