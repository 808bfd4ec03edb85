package io.maaskit.it.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.*;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.internal.PackageCache;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A request that arrives while its model is loading waits at most the configured bound, then is
 * told to come back ({@link ModelUnavailableException} with a Retry-After); the load itself goes on
 * and later requests get the same, single model.
 */
class LoadWaitTest {
  @Test
  void waitIsBoundedThenTheSameLoadServes() throws Exception {
    LocalModelStore store = new LocalModelStore(TestModels.storeRoot());
    PackageLoader loader =
        new PackageLoader(
            store,
            new PackageCache(Path.of("target", "cache"), 0),
            LoadMode.CACHE,
            EagerEngine.start(EngineOptions.defaults()));
    RegistryOptions impatient =
        new RegistryOptions(Duration.ofMillis(1), Duration.ofSeconds(2), Duration.ofSeconds(60), 0);
    try (ModelRegistry registry = new ModelRegistry(store, loader, impatient)) {
      ModelId id = ModelId.parse("all-minilm-l6-v2@1");
      // Hashing and building a 91 MB package takes far longer than 1 ms.
      ModelUnavailableException e =
          assertThrows(ModelUnavailableException.class, () -> registry.get(id));
      assertTrue(e.getMessage().contains("still loading"), e.getMessage());
      assertTrue(e.retryAfter().toSeconds() >= 1, "Retry-After " + e.retryAfter());
      assertEquals(ModelRegistry.State.PENDING, registry.status().get(0).state());

      Object loaded = registry.preload(id).get(); // waits for the load already in flight
      assertSame(
          loaded,
          registry.get(id, Capability.ENCODER, TextEncoder.class),
          "the load that was in flight is the one served");
      assertEquals(ModelRegistry.State.READY, registry.status().get(0).state());
    }
  }
}
