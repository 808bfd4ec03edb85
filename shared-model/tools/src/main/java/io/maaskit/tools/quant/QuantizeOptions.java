package io.maaskit.tools.quant;

import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.decoder.LinearPrecision;

/**
 * What to produce and how strict the gate is.
 *
 * @param name name of the int8 package; null for {@code <source name>-int8}
 * @param version version of the int8 package; null for the source's version
 * @param minCosine per-input cosine the int8 model must reach on every calibration input
 * @param calibration the inputs the gate runs
 * @param quantizeEmbeddings also quantize the word/position/token-type tables (per row). Without
 *     them all-MiniLM-L6-v2 shrinks only to 65% of its float32 size (the word table is half its
 *     weights) and gains little accuracy: min cosine on the calibration set 0.9946 instead of
 *     0.9942; the linear layers, not the tables, dominate the error
 * @param graph how the int8 package's ONNX graph is compiled (when its architecture has a
 *     compiler); the gate measures that graph. For a generator its {@link
 *     CompileOptions#decoderPrecision()} says int8 or int4, block size and accuracy level (int8 by
 *     default)
 * @param minTop1 generators: minimum top-1 next-token agreement with float32 on the calibration set
 * @param maxMeanKl generators: maximum mean KL divergence (nats) from float32's next-token
 *     distributions
 * @param minTokenCosine token classifiers: smallest cosine of one token's logits to float32's
 *     ({@link TokenLogitsGate})
 * @param minTokenAgreement token classifiers: smallest fraction of tokens keeping float32's label
 */
public record QuantizeOptions(
    String name,
    String version,
    double minCosine,
    CalibrationSet calibration,
    boolean quantizeEmbeddings,
    CompileOptions graph,
    double minTop1,
    double maxMeanKl,
    double minTokenCosine,
    double minTokenAgreement) {

  /** Options with the token-logits gate's default thresholds. */
  public QuantizeOptions(
      String name,
      String version,
      double minCosine,
      CalibrationSet calibration,
      boolean quantizeEmbeddings,
      CompileOptions graph,
      double minTop1,
      double maxMeanKl) {
    this(
        name,
        version,
        minCosine,
        calibration,
        quantizeEmbeddings,
        graph,
        minTop1,
        maxMeanKl,
        TokenLogitsGate.DEFAULT_MIN_COSINE,
        TokenLogitsGate.DEFAULT_MIN_AGREEMENT);
  }

  /** Options with the generator gate's default thresholds. */
  public QuantizeOptions(
      String name,
      String version,
      double minCosine,
      CalibrationSet calibration,
      boolean quantizeEmbeddings,
      CompileOptions graph) {
    this(
        name,
        version,
        minCosine,
        calibration,
        quantizeEmbeddings,
        graph,
        GeneratorGate.DEFAULT_MIN_TOP1,
        GeneratorGate.DEFAULT_MAX_MEAN_KL);
  }

  public QuantizeOptions {
    if (graph == null) {
      graph = CompileOptions.defaults();
    }
    if (!(minCosine > 0 && minCosine <= 1)) {
      throw new IllegalArgumentException("min cosine must be in (0, 1], got " + minCosine);
    }
    if (calibration == null) {
      throw new IllegalArgumentException("a calibration set is required");
    }
  }

  /**
   * Default name and version, threshold 0.99, the shipped calibration set, embeddings quantized.
   */
  public static QuantizeOptions defaults() {
    return new QuantizeOptions(
        null, null, AccuracyGate.DEFAULT_MIN_COSINE, CalibrationSet.calibration(), true, null);
  }

  /** A copy with another name and version. */
  public QuantizeOptions withId(String newName, String newVersion) {
    return new QuantizeOptions(
        newName,
        newVersion,
        minCosine,
        calibration,
        quantizeEmbeddings,
        graph,
        minTop1,
        maxMeanKl,
        minTokenCosine,
        minTokenAgreement);
  }

  /** A copy with another threshold. */
  public QuantizeOptions withMinCosine(double threshold) {
    return new QuantizeOptions(
        name,
        version,
        threshold,
        calibration,
        quantizeEmbeddings,
        graph,
        minTop1,
        maxMeanKl,
        minTokenCosine,
        minTokenAgreement);
  }

  /** A copy with another calibration set. */
  public QuantizeOptions withCalibration(CalibrationSet set) {
    return new QuantizeOptions(
        name,
        version,
        minCosine,
        set,
        quantizeEmbeddings,
        graph,
        minTop1,
        maxMeanKl,
        minTokenCosine,
        minTokenAgreement);
  }

  /** A copy that compiles the int8 graph with other options. */
  public QuantizeOptions withGraph(CompileOptions options) {
    return new QuantizeOptions(
        name,
        version,
        minCosine,
        calibration,
        quantizeEmbeddings,
        options,
        minTop1,
        maxMeanKl,
        minTokenCosine,
        minTokenAgreement);
  }

  /** A generator's precision: the one {@link #graph()} names, int8 by default. */
  public LinearPrecision decoderPrecision() {
    return graph.decoderPrecision() != null ? graph.decoderPrecision() : LinearPrecision.int8();
  }

  /** A copy whose generator graph gets {@code precision} (int8 or int4). */
  public QuantizeOptions withDecoderPrecision(LinearPrecision precision) {
    if (!precision.quantized()) {
      throw new IllegalArgumentException("quantize makes int8 or int4 packages, not float32");
    }
    return withGraph(graph.withDecoderPrecision(precision));
  }

  /** A copy that keeps (or not) the embedding tables in float32. */
  public QuantizeOptions withQuantizeEmbeddings(boolean quantize) {
    return new QuantizeOptions(
        name,
        version,
        minCosine,
        calibration,
        quantize,
        graph,
        minTop1,
        maxMeanKl,
        minTokenCosine,
        minTokenAgreement);
  }

  /** A copy with other generator-gate thresholds. */
  public QuantizeOptions withGeneratorGate(double top1, double meanKl) {
    return new QuantizeOptions(
        name,
        version,
        minCosine,
        calibration,
        quantizeEmbeddings,
        graph,
        top1,
        meanKl,
        minTokenCosine,
        minTokenAgreement);
  }

  /** A copy with other token-logits gate thresholds. */
  public QuantizeOptions withTokenGate(double cosine, double agreement) {
    return new QuantizeOptions(
        name,
        version,
        minCosine,
        calibration,
        quantizeEmbeddings,
        graph,
        minTop1,
        maxMeanKl,
        cosine,
        agreement);
  }
}
