/**
 * How the registry loads a package (download, verify, pick the engine, build the model): wiring,
 * not API. Adapters reach it through {@link io.maaskit.model.ModelRuntime}.
 */
package io.maaskit.model.registry.internal;
