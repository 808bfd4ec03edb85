package io.maaskit.training;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's thread-local grad mode. DJL switches it off only on the thread that started the engine,
 * and the inference path switches it off per call; training switches it on exactly where gradients
 * are recorded and restores the previous mode afterwards.
 */
final class Autograd {
  private Autograd() {}

  /** Sets grad mode on the calling thread; returns the previous mode. */
  static boolean gradMode(boolean on) {
    boolean prev = JniUtils.isGradMode();
    JniUtils.setGradMode(on);
    return prev;
  }

  /**
   * Zeroes a parameter's accumulated gradient in place (PyTorch accumulates across backward calls).
   */
  static void zeroGrad(NDArray parameter) {
    JniUtils.zeroGrad((PtNDArray) parameter);
  }
}
