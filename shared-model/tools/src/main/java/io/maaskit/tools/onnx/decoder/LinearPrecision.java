package io.maaskit.tools.onnx.decoder;

import io.maaskit.tools.onnx.decoder.BlockQuantized.Rounding;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

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
 * @param rounding how each block's scale and zero point are chosen ({@link Rounding})
 * @param linearBits bits of particular layer linears that differ from {@code bits}, by selector: a
 *     role ({@code qkv}, {@code o}, {@code up}, {@code down}; {@link Linears.Role}) in every layer,
 *     or a role in one layer ({@code down.1}), the latter winning; empty for none
 */
public record LinearPrecision(
    int bits,
    int blockSize,
    int accuracyLevel,
    int headBits,
    Rounding rounding,
    Map<String, Integer> linearBits) {
  /** Block size by default: the smallest MatMulNBits block ONNX Runtime's int8 kernels favour. */
  public static final int DEFAULT_BLOCK_SIZE = 32;

  /** accuracy_level by default: int8 activations (see {@link #accuracyLevel()}). */
  public static final int DEFAULT_ACCURACY_LEVEL = 4;

  /** Float32 weights, plain MatMul. */
  public static final LinearPrecision FLOAT32 =
      new LinearPrecision(32, DEFAULT_BLOCK_SIZE, 0, 32, Rounding.SYMMETRIC);

  private static final Pattern SELECTOR = Pattern.compile("(qkv|o|up|down)(\\.[0-9]+)?");

  /**
   * The rounding {@code bits}-bit layers get by default: 4 bits asymmetric with the clip ratio
   * searched per block, which cut int4's mean KL against float32 by a third on the tiny random
   * checkpoints (Llama 1.57 to 1.04, GPT-2 0.63 to 0.45) for one zero-point byte per 64 weights; 8
   * bits symmetric (no zero-point input), as int8 already passes the gate (asymmetric-mse lowered
   * its KL by a sixth only) and the zero points' decode cost at 8 bits is not yet measured on a
   * quiet machine.
   */
  public static Rounding defaultRounding(int bits) {
    return switch (bits) {
      case 4 -> Rounding.ASYMMETRIC_SEARCH;
      default -> Rounding.SYMMETRIC;
    };
  }

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
    if (rounding == null) {
      throw new IllegalArgumentException("a rounding is required");
    }
    if (bits == 32 && headBits != 32) {
      throw new IllegalArgumentException("a float32 graph has a float32 head");
    }
    linearBits = linearBits == null ? Map.of() : new TreeMap<>(linearBits);
    for (Map.Entry<String, Integer> e : linearBits.entrySet()) {
      if (!SELECTOR.matcher(e.getKey()).matches()) {
        throw new IllegalArgumentException(
            "a linear is selected by qkv, o, up or down, optionally with a layer (down.1), not '"
                + e.getKey()
                + "'");
      }
      if (bits == 32) {
        throw new IllegalArgumentException("a float32 graph has float32 linears");
      }
      BlockQuantized.checkFormat(e.getValue(), blockSize);
    }
    linearBits = Collections.unmodifiableMap(linearBits);
  }

  /** Every layer linear at {@code bits}. */
  public LinearPrecision(
      int bits, int blockSize, int accuracyLevel, int headBits, Rounding rounding) {
    this(bits, blockSize, accuracyLevel, headBits, rounding, Map.of());
  }

  /** The default rounding for the bit width ({@link #defaultRounding}). */
  public LinearPrecision(int bits, int blockSize, int accuracyLevel, int headBits) {
    this(bits, blockSize, accuracyLevel, headBits, defaultRounding(bits));
  }

  /** int8 layers and head, the default block size and accuracy level. */
  public static LinearPrecision int8() {
    return new LinearPrecision(8, DEFAULT_BLOCK_SIZE, DEFAULT_ACCURACY_LEVEL, 8);
  }

  /** int4 layers, an int8 head, the default block size and accuracy level. */
  public static LinearPrecision int4() {
    return uniformInt4();
  }

  /**
   * Every layer linear int4, the head (and a token table it shares) int8, the default block size,
   * accuracy level and rounding.
   */
  public static LinearPrecision uniformInt4() {
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

  /** Bits of the {@code role} linear of layer {@code layer}. */
  public int bits(Linears.Role role, int layer) {
    Integer one = linearBits.get(role.label() + "." + layer);
    if (one != null) {
      return one;
    }
    return linearBits.getOrDefault(role.label(), bits);
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

  /**
   * The manifest's quantization scheme, e.g. {@code int4-block32-asymmetric-mse-head-int8}, with
   * the linears that differ appended ({@code ...-head-int8-down-int8}).
   */
  public String scheme() {
    StringBuilder s =
        new StringBuilder("int" + bits + "-block" + blockSize + "-" + rounding.label());
    if (headBits != bits) {
      s.append("-head-int").append(headBits);
    }
    linearBits.forEach((k, v) -> s.append('-').append(k).append("-int").append(v));
    return s.toString();
  }

  /** A copy with another block size. */
  public LinearPrecision withBlockSize(int size) {
    return new LinearPrecision(bits, size, accuracyLevel, headBits, rounding, linearBits);
  }

  /** A copy with another accuracy level. */
  public LinearPrecision withAccuracyLevel(int level) {
    return new LinearPrecision(bits, blockSize, level, headBits, rounding, linearBits);
  }

  /** A copy with another rounding. */
  public LinearPrecision withRounding(Rounding r) {
    return new LinearPrecision(bits, blockSize, accuracyLevel, headBits, r, linearBits);
  }

  /** A copy with another head precision (8, or 32 for a float32 head and token table). */
  public LinearPrecision withHeadBits(int b) {
    return new LinearPrecision(bits, blockSize, accuracyLevel, b, rounding, linearBits);
  }

  /**
   * A copy whose linears {@code selector} names ({@code down}, {@code qkv.0}) get {@code b} bits.
   */
  public LinearPrecision withLinearBits(String selector, int b) {
    Map<String, Integer> m = new TreeMap<>(linearBits);
    m.put(selector, b);
    return new LinearPrecision(bits, blockSize, accuracyLevel, headBits, rounding, m);
  }
}
