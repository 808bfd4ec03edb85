/**
 * Post-training int8 quantization of model packages, guarded by an accuracy gate.
 *
 * <p>{@link io.maaskit.tools.quant.Quantizer} turns a float32 package into an int8 one: linear
 * weights become symmetric int8 per output channel and embedding tables int8 per row ({@link
 * io.maaskit.tools.quant.SymmetricInt8}); biases and LayerNorm stay float32. The result is plain
 * safetensors with a {@code .scale} tensor next to each int8 weight, so {@link
 * io.maaskit.model.engine.Weights} dequantizes it at load and nothing else in the runtime changes.
 *
 * <p>Before a package is produced, {@link io.maaskit.tools.quant.AccuracyGate} runs the float32 and
 * int8 models side by side on the {@link io.maaskit.tools.quant.CalibrationSet} shipped with the
 * kit and refuses the package if any input's cosine falls below the threshold; the measured figures
 * go into the manifest's {@code quantization} block.
 */
package io.maaskit.tools.quant;
