/**
 * Tensor runtime: DJL's PyTorch engine set up offline ({@link
 * io.maaskit.model.runtime.TorchRuntime}), safetensors I/O ({@link
 * io.maaskit.model.runtime.Safetensors}) and weight loading with dequantization ({@link
 * io.maaskit.model.runtime.Weights}).
 */
package io.maaskit.model.runtime;
