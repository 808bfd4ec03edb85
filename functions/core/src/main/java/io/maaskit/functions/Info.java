package io.maaskit.functions;

import io.maaskit.model.registry.ModelRegistry;
import java.util.List;

/** What {@code GET /info} returns: the store and each model's state and last load's accounting. */
public record Info(String store, List<ModelRegistry.Status> models) {
  static Info of(ModelRegistry registry) {
    return new Info(registry.store().uri(), registry.status());
  }
}
