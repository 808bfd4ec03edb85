package io.maaskit.tools.onnx.decoder;

import java.util.Locale;

/**
 * How a decoder graph's linear layers hold their weights: float32 ({@code MatMul}), or block-wise
 * quantized for {@code com.microsoft.MatMulNBits} ({@link BlockQuantized}).
 *
 * @param bits 32 for float32, else 8 or 4
 * @param blockSize values per quantization block along K
 * @param accuracyLevel MatMulNBits' {@code accuracy_level} of the 4-bit layers: 0 computes in
 *     float32 (the weights are dequantized block by block), 4 quantizes the activations to int8 per
 *     block and runs int8 dot products. 8-bit nodes always get 4: ONNX Runtime 1.22's CPU kernel
 *     has no other 8-bit path ("Only 4b quantization is supported for unpacked compute")
 * @param headBits bits of the LM head and of a token table it shares (8 keeps the most sensitive
 *     projection at int8 when the layers are int4; 32 for float32)
 */
public record LinearPrecision(int bits, int blockSize, int accuracyLevel, int headBits) {
  /** Block size by default: the smallest MatMulNBits block ONNX Runtime's int8 kernels favour. */
  public static final int DEFAULT_BLOCK_SIZE = 32;

  /** accuracy_level by default: int8 activations (see {@link #accuracyLevel()}). */
  public static final int DEFAULT_ACCURACY_LEVEL = 4;

  /** Float32 weights, plain MatMul. */
  public static final LinearPrecision FLOAT32 = new LinearPrecision(32, DEFAULT_BLOCK_SIZE, 0, 32);

  public LinearPrecision {
    if (bits != 32) {
      BlockQuantized.checkFormat(bits, blockSize);
    }
    if (headBits != 32) {
      BlockQuantized.checkFormat(headBits, blockSize);
    }
    if (accuracyLevel < 0 || accuracyLevel > 4) {
      throw new IllegalArgumentException("accuracy level must be 0..4, got " + accuracyLevel);
    }
    if (bits == 32 && headBits != 32) {
      throw new IllegalArgumentException("a float32 graph has a float32 head");
    }
  }

  /** int8 layers and head, the default block size and accuracy level. */
  public static LinearPrecision int8() {
    return new LinearPrecision(8, DEFAULT_BLOCK_SIZE, DEFAULT_ACCURACY_LEVEL, 8);
  }

  /** int4 layers, an int8 head, the default block size and accuracy level. */
  public static LinearPrecision int4() {
    return new LinearPrecision(4, DEFAULT_BLOCK_SIZE, DEFAULT_ACCURACY_LEVEL, 8);
  }

  /** The precision a package dtype names: {@code float32}, {@code int8} or {@code int4}. */
  public static LinearPrecision forDtype(String dtype) {
    return switch (dtype == null ? "float32" : dtype.toLowerCase(Locale.ROOT)) {
      case "float32", "bfloat16", "float16" -> FLOAT32;
      case "int8" -> int8();
      case "int4" -> int4();
      default ->
          throw new IllegalArgumentException(
              "dtype must be float32, int8 or int4, not '" + dtype + "'");
    };
  }

  /** The {@code accuracy_level} a node with {@code nodeBits}-bit weights gets. */
  public int accuracyLevel(int nodeBits) {
    return nodeBits == 8 ? 4 : accuracyLevel;
  }

  /** Whether the layers are quantized. */
  public boolean quantized() {
    return bits != 32;
  }

  /** The package dtype this precision makes: {@code float32}, {@code int8} or {@code int4}. */
  public String dtype() {
    return bits == 32 ? "float32" : "int" + bits;
  }

  /** The manifest's quantization scheme, e.g. {@code int4-block32-symmetric-head-int8}. */
  public String scheme() {
    String s = "int" + bits + "-block" + blockSize + "-symmetric";
    return headBits == bits ? s : s + "-head-int" + headBits;
  }

  /** A copy with another block size. */
  public LinearPrecision withBlockSize(int size) {
    return new LinearPrecision(bits, size, accuracyLevel, headBits);
  }

  /** A copy with another accuracy level. */
  public LinearPrecision withAccuracyLevel(int level) {
    return new LinearPrecision(bits, blockSize, level, headBits);
  }
}
