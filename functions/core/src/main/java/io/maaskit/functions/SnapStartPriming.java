package io.maaskit.functions;

import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.task.EmbeddingService;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;
import org.jboss.logging.Logger;

/**
 * SnapStart / CRaC priming. With {@code maas.preload=true} (set {@code MAAS_PRELOAD=true} on the
 * Lambda), the default model is loaded and run once before the snapshot is taken, so restored
 * copies start warm. After restore, whatever must not be shared between restored copies is
 * refreshed: the store's clients (credentials, connection pools).
 */
@Singleton
public class SnapStartPriming implements Resource {
  private static final Logger LOG = Logger.getLogger(SnapStartPriming.class);

  private final ModelServices services;
  private final MaasConfig config;

  public SnapStartPriming(ModelServices services, MaasConfig config) {
    this.services = services;
    this.config = config;
  }

  void register(@Observes StartupEvent ev) {
    // CRaC holds resources weakly; this singleton lives as long as the application.
    Core.getGlobalContext().register(this);
    if (config.preload()) {
      prime();
    } else {
      // Start the engine (natives, threads) off the request path; the model itself stays lazy.
      Thread t = new Thread(services::warmUp, "engine-warmup");
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
      LOG.infof(
          "primed model %s in %d ms", config.defaultModel(), (System.nanoTime() - t0) / 1_000_000);
    } catch (RuntimeException e) {
      // A failed prime must not fail the deployment; the first request retries the load.
      LOG.warnf("priming model %s failed: %s", config.defaultModel(), e.getMessage());
    }
  }

  @Override
  public void beforeCheckpoint(Context<? extends Resource> context) {
    if (config.preload()) {
      prime();
    }
  }

  @Override
  public void afterRestore(Context<? extends Resource> context) {
    services.afterRestore();
  }
}
