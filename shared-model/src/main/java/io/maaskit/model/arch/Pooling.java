package io.maaskit.model.arch;

import ai.djl.ndarray.NDArray;
import java.util.Locale;

/**
 * How per-token hidden states become one vector: the one implementation every NDArray-based
 * architecture shares (the manifest's {@code pooling}).
 */
public enum Pooling {
  /** Mean over real (unpadded) tokens: sum(h * mask) / sum(mask). */
  MEAN {
    @Override
    public NDArray apply(NDArray hidden, NDArray mask) {
      NDArray m = mask.toType(hidden.getDataType(), false).expandDims(2);
      NDArray sum = hidden.mul(m).sum(new int[] {1});
      NDArray count = m.sum(new int[] {1}).maximum(1e-9f);
      return sum.div(count);
    }
  },
  /** The first ([CLS]) token's state. */
  CLS {
    @Override
    public NDArray apply(NDArray hidden, NDArray mask) {
      return hidden.get(":, 0, :");
    }
  };

  /**
   * Pools hidden states (B, L, H) under a padding mask (B, L) into (B, H).
   *
   * @param mask 1 for real tokens, 0 for padding
   */
  public abstract NDArray apply(NDArray hidden, NDArray mask);

  /** The pooling of a manifest value ({@code mean} or {@code cls}). */
  public static Pooling of(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }

  /** Divides each row by its L2 norm (at least 1e-12). */
  public static NDArray l2Normalize(NDArray x) {
    NDArray norm = x.norm(new int[] {1}, true).maximum(1e-12f);
    return x.div(norm);
  }
}
