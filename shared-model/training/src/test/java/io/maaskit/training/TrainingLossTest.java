package io.maaskit.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import org.junit.jupiter.api.Test;

/**
 * The training loss against values PyTorch's {@code cross_entropy(weight, label_smoothing)} gives.
 */
class TrainingLossTest {
  static final float[] LOGITS = {2f, 0f, 0f, 1f};
  static final int[] LABELS = {0, 1};
  static final float[] WEIGHTS = {1f, 3f};

  static float loss(double smoothing) {
    try (NDManager m = EagerEngine.start(EngineOptions.defaults()).newManager()) {
      NDArray logits = m.create(LOGITS, new Shape(2, 2));
      return ClassifierTrainer.crossEntropy(logits, LABELS, WEIGHTS, smoothing, m).getFloat();
    }
  }

  @Test
  void withoutSmoothingItIsTheWeightedMeanOfMinusLogProbability() {
    // (1 · 0.126928 + 3 · 0.313262) / 4
    assertEquals(0.266678, loss(0), 1e-5);
  }

  @Test
  void smoothingSpreadsTheTargetOverAllLabels() {
    // targets (0.9, 0.1) and (0.1, 0.9): (1 · 0.326928 + 3 · 0.413262) / 4
    assertEquals(0.391678, loss(0.2), 1e-5);
  }

  @Test
  void smoothingPenalizesOverconfidenceThatPlainCrossEntropyRewards() {
    float[] sure = {20f, 0f};
    try (NDManager m = EagerEngine.start(EngineOptions.defaults()).newManager()) {
      NDArray logits = m.create(sure, new Shape(1, 2));
      float plain =
          ClassifierTrainer.crossEntropy(logits, new int[] {0}, new float[] {1f, 1f}, 0, m)
              .getFloat();
      float smoothed =
          ClassifierTrainer.crossEntropy(logits, new int[] {0}, new float[] {1f, 1f}, 0.1, m)
              .getFloat();
      assertEquals(0, plain, 1e-6);
      // 0.05 · 20 nats for the label it rules out
      assertEquals(1.0, smoothed, 1e-4);
    }
  }
}
