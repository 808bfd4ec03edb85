/**
 * What runs the maths, behind one interface: {@link io.maaskit.model.engine.Engine} (device,
 * compute dtype, threads, arrays for eager architectures, gradients for training, compiled graphs
 * as {@link io.maaskit.model.engine.CompiledGraph}s on engines that run them), started by {@link
 * io.maaskit.model.engine.Engine#start}; safetensors I/O ({@link
 * io.maaskit.model.engine.Safetensors}) and weight loading with dequantization ({@link
 * io.maaskit.model.engine.Weights}). Engine-specific types (DJL's PyTorch classes, its {@code
 * internal} packages, ONNX Runtime's) stay inside the engine's own subpackage, {@code
 * engine.pytorch} or {@code engine.onnxruntime}; ArchUnit rules keep them there.
 */
package io.maaskit.model.engine;
