package io.maaskit.tools.onnx.decoder;

import java.util.Locale;

/**
 * A weight matrix {@code W [n, k]} (n outputs, k inputs) quantized block-wise along k, in the
 * layout {@code com.microsoft.MatMulNBits} reads:
 *
 * <ul>
 *   <li>{@code B}: uint8 {@code [n, kBlocks, blobSize]}, {@code kBlocks = ceil(k / blockSize)},
 *       {@code blobSize = blockSize * bits / 8}, stored values {@code 0 .. 2^bits - 1}. With 4
 *       bits, element {@code 2j} of a block is the low nibble of byte {@code j} and element {@code
 *       2j+1} its high nibble. Positions past {@code k} in the last block hold the block's zero
 *       point and dequantize to 0.
 *   <li>{@code scales}: float32 {@code [n * kBlocks]}.
 *   <li>{@code zero_points} ({@link Rounding#asymmetric()} only): uint8, {@code ceil(kBlocks * bits
 *       / 8)} bytes per row, block {@code 2j} in the low nibble of a row's byte {@code j} at 4
 *       bits. A symmetric matrix has none: the operator then uses {@code 2^(bits-1)} (8 or 128).
 * </ul>
 *
 * <p>{@code W[i][j] = (q - zeroPoint(block)) * scales[i * kBlocks + j / blockSize]}.
 *
 * <pre>{@code
 * BlockQuantized q = BlockQuantized.quantize(w, n, k, 4, 32, Rounding.ASYMMETRIC_SEARCH);
 * g.initializer("w_q", UINT8, q.shape(), ByteBuffer.wrap(q.packed()));
 * }</pre>
 *
 * @param bits 4 or 8
 * @param blockSize values per block along k (a power of two, at least 16)
 * @param n rows (outputs)
 * @param k columns (inputs)
 * @param packed {@code B} as above
 * @param scales one per block, row-major {@code [n, kBlocks]}
 * @param zeroPoints packed per-block zero points, or null for the operator's default
 */
public record BlockQuantized(
    int bits, int blockSize, int n, int k, byte[] packed, float[] scales, byte[] zeroPoints) {

  /** How each block's scale (and zero point) is chosen. */
  public enum Rounding {
    /**
     * Symmetric around 0, {@code scale = max|block| / (2^(bits-1) - 1)}, the default zero point:
     * {@code -w} quantizes to {@code -q}; one of the {@code 2^bits} levels goes unused.
     */
    SYMMETRIC,
    /**
     * Asymmetric min/max: the block's range {@code [min(w, 0), max(w, 0)]} spread over all {@code
     * 2^bits} levels, an integer zero point per block.
     */
    ASYMMETRIC,
    /**
     * Asymmetric, the range clipped by the ratio (from 1 down to {@value #MIN_CLIP}) that gives the
     * block the least squared reconstruction error, the scale then refitted by least squares to the
     * values it rounded to.
     */
    ASYMMETRIC_SEARCH;

    /** The smallest clip ratio {@link #ASYMMETRIC_SEARCH} tries. */
    public static final double MIN_CLIP = 0.6;

    /** Clip ratios tried: 1, 0.98, ..., {@link #MIN_CLIP}. */
    static final int CLIP_STEPS = 21;

    /** Whether blocks carry their own zero point. */
    public boolean asymmetric() {
      return this != SYMMETRIC;
    }

    /** The word the manifest's scheme uses: {@code symmetric}, {@code asymmetric}, ... */
    public String label() {
      return switch (this) {
        case SYMMETRIC -> "symmetric";
        case ASYMMETRIC -> "asymmetric";
        case ASYMMETRIC_SEARCH -> "asymmetric-mse";
      };
    }

    /** The rounding a {@link #label()} names. */
    public static Rounding forLabel(String label) {
      for (Rounding r : values()) {
        if (r.label().equals(label.toLowerCase(Locale.ROOT))) {
          return r;
        }
      }
      throw new IllegalArgumentException(
          "rounding must be symmetric, asymmetric or asymmetric-mse, not '" + label + "'");
    }
  }

  public BlockQuantized {
    checkFormat(bits, blockSize);
    if (packed.length != (long) n * blocks(k, blockSize) * blobSize(bits, blockSize)
        || scales.length != (long) n * blocks(k, blockSize)
        || (zeroPoints != null
            && zeroPoints.length != (long) n * zeroPointBytes(blocks(k, blockSize), bits))) {
      throw new IllegalArgumentException(
          "packed data, scales or zero points do not fit [" + n + ", " + k + "]");
    }
  }

  /** Refuses a bit width or block size MatMulNBits has no kernel for. */
  public static void checkFormat(int bits, int blockSize) {
    if (bits != 4 && bits != 8) {
      throw new IllegalArgumentException("bits must be 4 or 8, got " + bits);
    }
    if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
      throw new IllegalArgumentException(
          "block size must be a power of two >= 16, got " + blockSize);
    }
  }

  /** Blocks per row. */
  public int kBlocks() {
    return blocks(k, blockSize);
  }

  /** Bytes per block. */
  public int blobSize() {
    return blobSize(bits, blockSize);
  }

  /** Shape of {@code B}. */
  public long[] shape() {
    return new long[] {n, kBlocks(), blobSize()};
  }

  /**
   * MatMulNBits' default zero point, {@code 2^(bits-1)}, that symmetric blocks are stored around.
   */
  public int defaultZeroPoint() {
    return 1 << (bits - 1);
  }

  /** The zero point of block {@code block} of row {@code row}. */
  public int zeroPoint(int row, int block) {
    if (zeroPoints == null) {
      return defaultZeroPoint();
    }
    int at = row * zeroPointBytes(kBlocks(), bits);
    return bits == 8
        ? zeroPoints[at + block] & 0xFF
        : (zeroPoints[at + block / 2] >> ((block & 1) * 4)) & 0x0F;
  }

  private static int blocks(int k, int blockSize) {
    return (k + blockSize - 1) / blockSize;
  }

  private static int blobSize(int bits, int blockSize) {
    return blockSize * bits / 8;
  }

  private static int zeroPointBytes(int kBlocks, int bits) {
    return (kBlocks * bits + 7) / 8;
  }

  /** Symmetric quantization of a row-major float matrix {@code [n, k]} (see {@link #quantize}). */
  public static BlockQuantized quantize(float[] w, int n, int k, int bits, int blockSize) {
    return quantize(w, n, k, bits, blockSize, Rounding.SYMMETRIC);
  }

  /**
   * Quantizes a row-major float matrix {@code [n, k]}.
   *
   * @throws IllegalArgumentException on a non-finite value
   */
  public static BlockQuantized quantize(
      float[] w, int n, int k, int bits, int blockSize, Rounding rounding) {
    checkFormat(bits, blockSize);
    if (w.length != (long) n * k) {
      throw new IllegalArgumentException(w.length + " values are not [" + n + ", " + k + "]");
    }
    int kBlocks = blocks(k, blockSize);
    int blob = blobSize(bits, blockSize);
    int zpBytes = zeroPointBytes(kBlocks, bits);
    byte[] packed = new byte[n * kBlocks * blob];
    float[] scales = new float[n * kBlocks];
    byte[] zeroPoints = rounding.asymmetric() ? new byte[n * zpBytes] : null;
    // Rows are independent (each owns its bytes of B, scales and zero points): quantized in
    // parallel, the clip search being the costly part.
    java.util.stream.IntStream.range(0, n)
        .parallel()
        .forEach(
            row -> {
              Block block = new Block(bits, blockSize);
              for (int b = 0; b < kBlocks; b++) {
                int from = row * k + b * blockSize;
                int len = Math.min(blockSize, k - b * blockSize);
                for (int i = 0; i < len; i++) {
                  if (!(Math.abs(w[from + i]) <= Float.MAX_VALUE)) {
                    throw new IllegalArgumentException(
                        "row " + row + " holds a non-finite value " + w[from + i]);
                  }
                }
                switch (rounding) {
                  case SYMMETRIC -> block.symmetric(w, from, len);
                  case ASYMMETRIC -> block.asymmetric(w, from, len, 1);
                  case ASYMMETRIC_SEARCH -> block.search(w, from, len);
                }
                scales[row * kBlocks + b] = block.scale;
                int at = (row * kBlocks + b) * blob;
                if (bits == 8) {
                  for (int i = 0; i < blockSize; i++) {
                    packed[at + i] = (byte) block.q[i];
                  }
                } else {
                  for (int i = 0; i < blockSize; i += 2) {
                    packed[at + i / 2] = (byte) (block.q[i] | (block.q[i + 1] << 4));
                  }
                }
                if (zeroPoints != null) {
                  int z = row * zpBytes;
                  if (bits == 8) {
                    zeroPoints[z + b] = (byte) block.zero;
                  } else {
                    zeroPoints[z + b / 2] |= (byte) (block.zero << ((b & 1) * 4));
                  }
                }
              }
            });
    return new BlockQuantized(bits, blockSize, n, k, packed, scales, zeroPoints);
  }

  /** One block being quantized: its stored values, scale and zero point. */
  private static final class Block {
    final int levels;
    final int[] q;
    final int[] trial;
    float scale;
    int zero;

    Block(int bits, int blockSize) {
      levels = (1 << bits) - 1;
      q = new int[blockSize];
      trial = new int[blockSize];
    }

    void symmetric(float[] w, int from, int len) {
      int qmax = levels / 2;
      zero = qmax + 1;
      float max = 0;
      for (int i = 0; i < len; i++) {
        max = Math.max(max, Math.abs(w[from + i]));
      }
      scale = max / qmax;
      java.util.Arrays.fill(q, zero);
      if (scale > 0) {
        for (int i = 0; i < len; i++) {
          q[i] = Math.max(-qmax, Math.min(qmax, Math.round(w[from + i] / scale))) + zero;
        }
      }
    }

    /** Min/max over the block's range shrunk by {@code clip}; returns the squared error. */
    double asymmetric(float[] w, int from, int len, double clip) {
      float min = 0;
      float max = 0;
      for (int i = 0; i < len; i++) {
        min = Math.min(min, w[from + i]);
        max = Math.max(max, w[from + i]);
      }
      return asymmetric(w, from, len, min, max, clip);
    }

    private double asymmetric(float[] w, int from, int len, float min, float max, double clip) {
      scale = (float) ((max - min) * clip / levels);
      zero = scale > 0 ? Math.max(0, Math.min(levels, Math.round(-min * (float) clip / scale))) : 0;
      java.util.Arrays.fill(q, zero);
      if (scale == 0) {
        return 0;
      }
      double err = 0;
      for (int i = 0; i < len; i++) {
        q[i] = Math.max(0, Math.min(levels, Math.round(w[from + i] / scale) + zero));
        double d = (q[i] - zero) * scale - w[from + i];
        err += d * d;
      }
      return err;
    }

    void search(float[] w, int from, int len) {
      float min = 0;
      float max = 0;
      for (int i = 0; i < len; i++) {
        min = Math.min(min, w[from + i]);
        max = Math.max(max, w[from + i]);
      }
      double bestErr = Double.POSITIVE_INFINITY;
      float bestScale = 0;
      int bestZero = 0;
      for (int s = 0; s < Rounding.CLIP_STEPS; s++) {
        double clip = 1 - s * (1 - Rounding.MIN_CLIP) / (Rounding.CLIP_STEPS - 1);
        double err = asymmetric(w, from, len, min, max, clip);
        // Least-squares scale for the levels chosen: sum w (q - z) / sum (q - z)^2.
        double num = 0;
        double den = 0;
        for (int i = 0; i < len; i++) {
          num += w[from + i] * (q[i] - zero);
          den += (double) (q[i] - zero) * (q[i] - zero);
        }
        if (den > 0) {
          float refit = (float) (num / den);
          double e = 0;
          for (int i = 0; i < len; i++) {
            double d = (q[i] - zero) * refit - w[from + i];
            e += d * d;
          }
          if (e < err) {
            err = e;
            scale = refit;
          }
        }
        if (err < bestErr) {
          bestErr = err;
          bestScale = scale;
          bestZero = zero;
          System.arraycopy(q, 0, trial, 0, q.length);
        }
      }
      scale = bestScale;
      zero = bestZero;
      System.arraycopy(trial, 0, q, 0, q.length);
    }
  }

  /** The float matrix {@code [n, k]} this stands for, as MatMulNBits dequantizes it. */
  public float[] dequantize() {
    int kBlocks = kBlocks();
    int blob = blobSize();
    float[] out = new float[n * k];
    for (int row = 0; row < n; row++) {
      for (int j = 0; j < k; j++) {
        int b = j / blockSize;
        int i = j % blockSize;
        int at = (row * kBlocks + b) * blob;
        int stored =
            bits == 8 ? packed[at + i] & 0xFF : (packed[at + i / 2] >> ((i & 1) * 4)) & 0x0F;
        out[row * k + j] = (stored - zeroPoint(row, b)) * scales[row * kBlocks + b];
      }
    }
    return out;
  }
}
