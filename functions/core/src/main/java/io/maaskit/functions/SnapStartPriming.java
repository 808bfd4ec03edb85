package io.maaskit.functions;

import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.EmbeddingService;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.util.List;
import org.crac.Context;
import org.crac.Resource;
import org.crac.RestoreException;
import org.jboss.logging.Logger;

/**
 * Start-up work off the request path, and SnapStart / CRaC priming.
 *
 * <p>From boot, on two background threads (the port opens meanwhile): the serving engine's natives
 * on one; the store's client and a lookup of the default model in the store on the other, where
 * with {@code maas.preload=true} ({@code MAAS_PRELOAD=true}) the default model is then downloaded,
 * built (waiting for the engine) and run once. A request that arrives before the load finished
 * waits for that same load (the registry loads each model once).
 *
 * <p>Before a snapshot, with preload, the default model is loaded and run, and each {@link
 * RequestPrimer} of the deployable sends one real request through its entry point (the API Gateway
 * Lambda: an API Gateway event through its handler), so restored copies start warm. After restore,
 * whatever must not be shared between restored copies is refreshed (the store's clients:
 * credentials, connection pools), and the loaded model runs one input: ONNX Runtime's and DJL's
 * natives and thread pools must still work in the restored process; if they do not, the restore
 * fails rather than answer requests from a broken engine.
 */
@Singleton
public class SnapStartPriming implements Resource {
  private static final Logger LOG = Logger.getLogger(SnapStartPriming.class);

  private final ModelServices services;
  private final MaasConfig config;
  private final CracHooks hooks;
  private final Instance<RequestPrimer> primers;
  private volatile List<Thread> boot = List.of();

  public SnapStartPriming(
      ModelServices services, MaasConfig config, CracHooks hooks, Instance<RequestPrimer> primers) {
    this.services = services;
    this.config = config;
    this.hooks = hooks;
    this.primers = primers;
  }

  void register(@Observes StartupEvent ev) {
    // CRaC holds resources weakly; this singleton lives as long as the application.
    hooks.register(this);
    LOG.info(BootClock.mark("startup event"));
    // Two boot threads: the engine's natives on one, the store (client, lookup and, with preload,
    // the download) on the other; a preload's build waits for the engine there.
    Thread engine = new Thread(services::startEngine, "engine-warmup");
    Thread store =
        new Thread(
            () -> {
              services.lookUpDefault();
              if (config.preload()) {
                prime();
              }
            },
            config.preload() ? "model-preload" : "store-lookup");
    boot = List.of(engine, store);
    for (Thread t : boot) {
      t.setDaemon(true);
      t.start();
    }
  }

  /** Loads the default model and runs one forward pass. */
  void prime() {
    long t0 = System.nanoTime();
    try {
      var model = services.registry().get(ModelId.parse(config.defaultModel()));
      if (model instanceof TextEncoder enc) {
        EmbeddingService.embed(enc, List.of("SnapStart priming input"), true);
      }
      LOG.info(
          BootClock.mark(
              "default model "
                  + config.defaultModel()
                  + " loaded and run once in "
                  + (System.nanoTime() - t0) / 1_000_000
                  + " ms"));
    } catch (RuntimeException e) {
      // A failed prime must not fail the deployment; the first request retries the load.
      LOG.warnf("priming model %s failed: %s", config.defaultModel(), e.getMessage());
    }
  }

  @Override
  public void beforeCheckpoint(Context<? extends Resource> context) throws InterruptedException {
    for (Thread t : boot) {
      t.join(); // the snapshot must not catch a boot thread half-way through a load
    }
    if (!config.preload()) {
      return;
    }
    prime();
    for (RequestPrimer p : primers) {
      long t0 = System.nanoTime();
      try {
        String answer = p.prime(config.defaultModel());
        LOG.infof(
            "primed the request path (%s) in %d ms: %s",
            p.getClass().getSimpleName(), (System.nanoTime() - t0) / 1_000_000, answer);
      } catch (Exception e) {
        LOG.warnf("priming the request path failed: %s", e.toString());
      }
    }
  }

  @Override
  public void afterRestore(Context<? extends Resource> context) throws RestoreException {
    services.afterRestore();
    ModelRegistry registry = services.registry();
    for (ModelRegistry.Status status : registry.status()) {
      if (status.state() != ModelRegistry.State.READY) {
        continue; // nothing loaded, nothing to check: the first request loads it
      }
      long t0 = System.nanoTime();
      try {
        if (registry.get(ModelId.parse(status.model())) instanceof TextEncoder enc) {
          float[] v = EmbeddingService.embed(enc, List.of("restore check"), true).vectors()[0];
          if (!Float.isFinite(v[0])) {
            throw new IllegalStateException("the restored engine returned " + v[0]);
          }
          LOG.infof(
              "restore check: model %s ran in %d ms",
              status.model(), (System.nanoTime() - t0) / 1_000_000);
        }
      } catch (RuntimeException | LinkageError e) {
        LOG.errorf(e, "restore check failed: model %s does not run", status.model());
        RestoreException r = new RestoreException();
        r.addSuppressed(e);
        throw r;
      }
    }
  }
}
