package io.maaskit.tools.onnx;

import io.maaskit.tools.onnx.decoder.LinearPrecision;
import java.util.Locale;

/**
 * How a graph is compiled.
 *
 * @param int8Kernel the operator int8 linear layers become
 * @param blockSize activation block along K for {@link Int8Kernel#BLOCKWISE} (a power of two, at
 *     least 16)
 * @param fusedAttention self-attention as one {@code com.microsoft.MultiHeadAttention} node per
 *     layer instead of reshapes, transposes, two MatMuls and a Softmax. Off by default: on MiniLM
 *     int8, one thread, an A/B in one process measured no difference beyond noise (12 tokens 1.48 /
 *     1.98 / 2.02 ms unfused vs 1.67 / 2.05 / 1.75 ms fused; 27 tokens 3.26 / 3.56 / 3.85 vs 3.09 /
 *     3.53 / 3.31 ms), and without it a float32 graph needs only standard ONNX operators
 * @param decoderPrecision how a decoder graph's linear layers hold their weights; null for what the
 *     package's dtype says ({@link LinearPrecision#forDtype})
 */
public record CompileOptions(
    Int8Kernel int8Kernel,
    int blockSize,
    boolean fusedAttention,
    LinearPrecision decoderPrecision) {
  /** Activation block the kit uses by default: 32, the smallest that measured as fast as 128. */
  public static final int DEFAULT_BLOCK_SIZE = 32;

  public CompileOptions {
    if (int8Kernel == null) {
      int8Kernel = Int8Kernel.BLOCKWISE;
    }
    if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
      throw new IllegalArgumentException(
          "block size must be a power of two >= 16, got " + blockSize);
    }
  }

  /** The given int8 kernel and block size, attention in standard operators. */
  public CompileOptions(Int8Kernel int8Kernel, int blockSize) {
    this(int8Kernel, blockSize, false);
  }

  /** Encoder options; decoders at their package's precision. */
  public CompileOptions(Int8Kernel int8Kernel, int blockSize, boolean fusedAttention) {
    this(int8Kernel, blockSize, fusedAttention, null);
  }

  /** A copy whose decoder graphs get {@code precision}. */
  public CompileOptions withDecoderPrecision(LinearPrecision precision) {
    return new CompileOptions(int8Kernel, blockSize, fusedAttention, precision);
  }

  /** The decoder precision for a package of {@code dtype}: the one set here, else the dtype's. */
  public LinearPrecision decoderPrecision(String dtype) {
    return decoderPrecision != null ? decoderPrecision : LinearPrecision.forDtype(dtype);
  }

  /**
   * Int8 kernels per layer as the package's {@link Int8Plan} says (blockwise where it says
   * nothing), block 32, attention in standard operators.
   */
  public static CompileOptions defaults() {
    return new CompileOptions(Int8Kernel.CALIBRATED, DEFAULT_BLOCK_SIZE, false);
  }

  /**
   * The ONNX Runtime operator for a linear layer on int8 weights. Both take the package's int8
   * weights and per-output-channel scales unchanged and run int8 dot products; they differ in how
   * the activations are quantized on the fly.
   */
  public enum Int8Kernel {
    /**
     * {@code com.microsoft.MatMulNBits}, 8 bits, {@code accuracy_level} 4: activations quantized to
     * int8 per block of {@link #blockSize()} values along K. Measured on all-MiniLM-L6-v2 over the
     * 236-input calibration set: min cosine 0.992 to float32 (the gate passes) at about the same
     * single-input latency as {@link #DYNAMIC}.
     */
    BLOCKWISE,
    /**
     * {@code com.microsoft.DynamicQuantizeMatMul}: activations quantized to uint8 per tensor (one
     * scale for the whole batch). BERT's few huge activations ([CLS], [SEP], some channels) eat the
     * range: on the same set min cosine 0.954, 30 inputs under 0.99, so the gate rejects it.
     */
    DYNAMIC,
    /**
     * Per layer, as the package's {@link Int8Plan} says ({@link #BLOCKWISE} for layers it does not
     * name, and for packages without one): the quantizer measures each layer's error and puts a
     * layer on {@link #DYNAMIC}, its input smoothed, where the whole graph still passes the gate.
     * The explicit kernels above ignore the plan.
     */
    CALIBRATED;

    /** Parses {@code blockwise}, {@code dynamic} or {@code calibrated}. */
    public static Int8Kernel parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "int8 kernel must be calibrated, blockwise or dynamic, not '" + s + "'");
      }
    }
  }
}
