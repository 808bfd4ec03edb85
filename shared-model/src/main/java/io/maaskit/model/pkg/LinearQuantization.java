package io.maaskit.model.pkg;

/**
 * How one linear layer of a quantized package runs in its compiled graph, and what calibration
 * measured for it: the quantizer's per-layer decision, kept in the manifest so a graph compiled
 * again from the package makes the same one (encoders), or so a reader sees which linears of an
 * int4 decoder stayed int8 (generators: {@code blockwise} and {@code bits} only).
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
 * @param bits generators: bits per weight of the layer's {@code MatMulNBits} (8 or 4; 32 for a
 *     float32 one); null for encoders, whose linears are all int8
 */
public record LinearQuantization(
    String kernel,
    Double smoothing,
    Double error,
    Double dynamicError,
    Double blockwiseError,
    Integer bits) {
  /** An encoder linear's decision (int8). */
  public LinearQuantization(
      String kernel, Double smoothing, Double error, Double dynamicError, Double blockwiseError) {
    this(kernel, smoothing, error, dynamicError, blockwiseError, null);
  }

  /** A decoder linear of a block-wise quantized graph at {@code bits}. */
  public static LinearQuantization blockwise(int bits) {
    return new LinearQuantization("blockwise", null, null, null, null, bits);
  }
}
