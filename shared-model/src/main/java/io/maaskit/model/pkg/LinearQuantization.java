package io.maaskit.model.pkg;

/**
 * How one linear layer of an int8 package runs in its compiled graph, and what calibration measured
 * for it: the quantizer's per-layer decision, kept in the manifest so a graph compiled again from
 * the package makes the same one.
 *
 * @param kernel {@code dynamic} (activations quantized per tensor, the fast kernel) or {@code
 *     blockwise} (per block of 32 along K)
 * @param smoothing SmoothQuant's migration strength α of the layer's input smoothing, or null when
 *     the input is not smoothed; the factors are in the package's {@code
 *     int8-smoothing.safetensors}
 * @param error relative output error (‖y_int8 − y_fp32‖ / ‖y_fp32‖) of the chosen kernel on the
 *     worst calibration sub-batch, the layer's float32 inputs given
 * @param dynamicError the same for the dynamic kernel, smoothed as recorded (the figure the
 *     decision compared)
 * @param blockwiseError the same for the blockwise kernel
 */
public record LinearQuantization(
    String kernel, Double smoothing, Double error, Double dynamicError, Double blockwiseError) {}
