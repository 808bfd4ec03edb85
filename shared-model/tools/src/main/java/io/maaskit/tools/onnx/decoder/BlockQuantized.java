package io.maaskit.tools.onnx.decoder;

import java.util.Arrays;

/**
 * A weight matrix {@code W [n, k]} (n outputs, k inputs) quantized block-wise along k, symmetric,
 * in the layout {@code com.microsoft.MatMulNBits} reads:
 *
 * <ul>
 *   <li>{@code B}: uint8 {@code [n, kBlocks, blobSize]}, {@code kBlocks = ceil(k / blockSize)},
 *       {@code blobSize = blockSize * bits / 8}; a stored value is {@code q + 2^(bits-1)}, so the
 *       operator's default zero point (8 for 4 bits, 128 for 8 bits, used when no zero-point input
 *       is given) recovers {@code q}. With 4 bits, element {@code 2j} of a block is the low nibble
 *       of byte {@code j} and element {@code 2j+1} its high nibble. Positions past {@code k} in the
 *       last block hold the zero point and dequantize to 0.
 *   <li>{@code scales}: float32 {@code [n * kBlocks]}, {@code max|block| / qmax} with {@code qmax =
 *       2^(bits-1) - 1} (7 or 127): the range is symmetric, so {@code -w} quantizes to {@code -q}.
 * </ul>
 *
 * <p>{@code W[i][j] = (q - zeroPoint) * scales[i * kBlocks + j / blockSize]}.
 *
 * <pre>{@code
 * BlockQuantized q = BlockQuantized.quantize(w, n, k, 4, 32);
 * g.initializer("w_q", UINT8, q.shape(), ByteBuffer.wrap(q.packed()));
 * }</pre>
 *
 * @param bits 4 or 8
 * @param blockSize values per block along k (a power of two, at least 16)
 * @param n rows (outputs)
 * @param k columns (inputs)
 * @param packed {@code B} as above
 * @param scales one per block, row-major {@code [n, kBlocks]}
 */
public record BlockQuantized(int bits, int blockSize, int n, int k, byte[] packed, float[] scales) {

  public BlockQuantized {
    checkFormat(bits, blockSize);
    if (packed.length != (long) n * blocks(k, blockSize) * blobSize(bits, blockSize)
        || scales.length != (long) n * blocks(k, blockSize)) {
      throw new IllegalArgumentException("packed data or scales do not fit [" + n + ", " + k + "]");
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

  /** The value a stored {@code 0} offsets: {@code 2^(bits-1)}, MatMulNBits' default zero point. */
  public int zeroPoint() {
    return 1 << (bits - 1);
  }

  private static int blocks(int k, int blockSize) {
    return (k + blockSize - 1) / blockSize;
  }

  private static int blobSize(int bits, int blockSize) {
    return blockSize * bits / 8;
  }

  /**
   * Quantizes a row-major float matrix {@code [n, k]}.
   *
   * @throws IllegalArgumentException on a non-finite value
   */
  public static BlockQuantized quantize(float[] w, int n, int k, int bits, int blockSize) {
    checkFormat(bits, blockSize);
    if (w.length != (long) n * k) {
      throw new IllegalArgumentException(w.length + " values are not [" + n + ", " + k + "]");
    }
    int kBlocks = blocks(k, blockSize);
    int blob = blobSize(bits, blockSize);
    int qmax = (1 << (bits - 1)) - 1;
    int zp = 1 << (bits - 1);
    byte[] packed = new byte[n * kBlocks * blob];
    float[] scales = new float[n * kBlocks];
    int[] q = new int[blockSize];
    for (int row = 0; row < n; row++) {
      for (int b = 0; b < kBlocks; b++) {
        int from = row * k + b * blockSize;
        int len = Math.min(blockSize, k - b * blockSize);
        float max = 0;
        for (int i = 0; i < len; i++) {
          float a = Math.abs(w[from + i]);
          if (!(a <= Float.MAX_VALUE)) {
            throw new IllegalArgumentException(
                "row " + row + " holds a non-finite value " + w[from + i]);
          }
          max = Math.max(max, a);
        }
        float scale = max / qmax;
        scales[row * kBlocks + b] = scale;
        Arrays.fill(q, zp);
        if (scale > 0) {
          for (int i = 0; i < len; i++) {
            int v = Math.round(w[from + i] / scale);
            q[i] = Math.max(-qmax, Math.min(qmax, v)) + zp;
          }
        }
        int at = (row * kBlocks + b) * blob;
        if (bits == 8) {
          for (int i = 0; i < blockSize; i++) {
            packed[at + i] = (byte) q[i];
          }
        } else {
          for (int i = 0; i < blockSize; i += 2) {
            packed[at + i / 2] = (byte) (q[i] | (q[i + 1] << 4));
          }
        }
      }
    }
    return new BlockQuantized(bits, blockSize, n, k, packed, scales);
  }

  /** The float matrix {@code [n, k]} this stands for, as MatMulNBits dequantizes it. */
  public float[] dequantize() {
    int kBlocks = kBlocks();
    int blob = blobSize();
    int zp = zeroPoint();
    float[] out = new float[n * k];
    for (int row = 0; row < n; row++) {
      for (int j = 0; j < k; j++) {
        int b = j / blockSize;
        int i = j % blockSize;
        int at = (row * kBlocks + b) * blob;
        int stored =
            bits == 8 ? packed[at + i] & 0xFF : (packed[at + i / 2] >> ((i & 1) * 4)) & 0x0F;
        out[row * k + j] = (stored - zp) * scales[row * kBlocks + b];
      }
    }
    return out;
  }
}
