/**
 * What runs the maths, behind one interface: {@link io.maaskit.model.engine.Engine} (device,
 * compute dtype, threads, arrays for eager architectures, gradients for training), started by
 * {@link io.maaskit.model.engine.Engine#start}; safetensors I/O ({@link
 * io.maaskit.model.engine.Safetensors}) and weight loading with dequantization ({@link
 * io.maaskit.model.engine.Weights}). Engine-specific types (DJL's PyTorch classes, its {@code
 * internal} packages) stay inside the engine's own subpackage, e.g. {@code engine.pytorch}; an
 * ArchUnit rule keeps them there.
 */
package io.maaskit.model.engine;
