package io.maaskit.model.arch.bert;

import ai.djl.ndarray.NDArray;
import io.maaskit.model.arch.Pooling;
import io.maaskit.model.engine.Weights;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * Sequence-classification head in Hugging Face layout: {@code classifier.weight} (labels × hidden)
 * and {@code classifier.bias}; with {@code bert.pooler.dense.*} (or {@code pooler.dense.*}) present
 * (Hugging Face's {@code BertForSequenceClassification}), the [CLS] state goes through the tanh
 * pooler first, otherwise the package's pooling (mean for heads this kit trains) feeds the
 * classifier.
 */
final class BertHead {
  private final NDArray weight;
  private final NDArray bias;
  private final NDArray poolerW;
  private final NDArray poolerB;
  private final List<String> labels;

  /**
   * @param w the checkpoint's tensors, unprefixed
   * @param encoderPrefix the encoder's prefix ({@code bert.} in Hugging Face checkpoints, whose
   *     pooler is {@code bert.pooler.dense}); a pooler without it is found too
   */
  BertHead(Weights w, String encoderPrefix, List<String> labels) {
    this.weight = w.get("classifier.weight");
    this.bias = w.get("classifier.bias");
    String pooler =
        w.has(encoderPrefix + "pooler.dense.weight")
            ? encoderPrefix + "pooler.dense."
            : "pooler.dense.";
    if (w.has(pooler + "weight")) {
      this.poolerW = w.get(pooler + "weight");
      this.poolerB = w.get(pooler + "bias");
    } else {
      this.poolerW = null;
      this.poolerB = null;
    }
    if (weight.getShape().get(0) != labels.size()) {
      throw new IllegalArgumentException(
          "classifier.weight has "
              + weight.getShape().get(0)
              + " rows but config.json lists "
              + labels.size()
              + " labels");
    }
    this.labels = List.copyOf(labels);
  }

  List<String> labels() {
    return labels;
  }

  NDArray logits(NDArray hidden, NDArray mask, BinaryOperator<NDArray> pool) {
    NDArray features =
        poolerW != null
            ? BertEncoder.linear(Pooling.CLS.apply(hidden, mask), poolerW, poolerB).tanh()
            : pool.apply(hidden, mask);
    return BertEncoder.linear(features, weight, bias);
  }
}
