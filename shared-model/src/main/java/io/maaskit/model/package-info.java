/**
 * The serving core's entry point: {@link io.maaskit.model.ModelRuntime}, built from {@link
 * io.maaskit.model.RuntimeSettings}, hands adapters the task services ({@code task}); the registry
 * ({@code registry}), stores ({@code store}), packages ({@code pkg}), architectures ({@code arch})
 * and engines ({@code engine}) sit behind it. Types in {@code internal} packages are wiring, not
 * API.
 */
package io.maaskit.model;
