package io.maaskit.model.pkg;

/**
 * How a package's weights were quantized and what the accuracy gate measured.
 *
 * @param scheme e.g. {@code int8-symmetric-per-channel}; see the package format doc
 * @param minCosine lowest cosine between fp32 and quantized outputs on the calibration set
 * @param meanCosine mean cosine on the calibration set
 * @param calibrationInputs number of calibration inputs the gate ran
 * @param source where the quantized weights came from ({@code quantize} or {@code onnx-import})
 * @param top1Agreement generators: fraction of calibration positions where the fp32 and quantized
 *     models predict the same next token
 * @param meanKl generators: mean KL divergence (nats) of their next-token distributions
 * @param linears encoders with a compiled int8 graph: the kernel (and input smoothing) each linear
 *     layer runs with, by layer name, and the per-layer errors calibration measured; null when
 *     every layer takes the compiler's default
 * @param maxScoreError rerankers: largest change of one (query, document) pair's sigmoid score from
 *     float32's on the calibration pairs
 * @param orderAgreement rerankers: fraction of a query's document pairs the quantized model orders
 *     as float32 does
 * @param minTokenCosine per-token heads: smallest cosine of one calibration token's logits to
 *     float32's
 * @param tokenAgreement per-token heads: fraction of calibration tokens whose best column (label)
 *     is float32's
 */
public record Quantization(
    String scheme,
    Double minCosine,
    Double meanCosine,
    Integer calibrationInputs,
    String source,
    Double top1Agreement,
    Double meanKl,
    java.util.Map<String, LinearQuantization> linears,
    Double maxScoreError,
    Double orderAgreement,
    Double minTokenCosine,
    Double tokenAgreement) {
  public Quantization {
    linears =
        linears == null
            ? null
            : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(linears));
  }

  /** Quantization without the reranker's and per-token heads' figures. */
  public Quantization(
      String scheme,
      Double minCosine,
      Double meanCosine,
      Integer calibrationInputs,
      String source,
      Double top1Agreement,
      Double meanKl,
      java.util.Map<String, LinearQuantization> linears) {
    this(
        scheme,
        minCosine,
        meanCosine,
        calibrationInputs,
        source,
        top1Agreement,
        meanKl,
        linears,
        null,
        null,
        null,
        null);
  }

  /** This quantization with a reranker's score figures. */
  public Quantization withScores(double maxScoreError, double orderAgreement) {
    return new Quantization(
        scheme,
        minCosine,
        meanCosine,
        calibrationInputs,
        source,
        top1Agreement,
        meanKl,
        linears,
        maxScoreError,
        orderAgreement,
        minTokenCosine,
        tokenAgreement);
  }

  /** This quantization with a per-token head's logit figures. */
  public Quantization withTokenLogits(double minTokenCosine, double tokenAgreement) {
    return new Quantization(
        scheme,
        minCosine,
        meanCosine,
        calibrationInputs,
        source,
        top1Agreement,
        meanKl,
        linears,
        maxScoreError,
        orderAgreement,
        minTokenCosine,
        tokenAgreement);
  }

  /** Quantization without per-layer decisions. */
  public Quantization(
      String scheme,
      Double minCosine,
      Double meanCosine,
      Integer calibrationInputs,
      String source,
      Double top1Agreement,
      Double meanKl) {
    this(scheme, minCosine, meanCosine, calibrationInputs, source, top1Agreement, meanKl, null);
  }

  /** An encoder's quantization (cosine figures, no next-token figures). */
  public Quantization(
      String scheme,
      Double minCosine,
      Double meanCosine,
      Integer calibrationInputs,
      String source) {
    this(scheme, minCosine, meanCosine, calibrationInputs, source, null, null, null);
  }
}
