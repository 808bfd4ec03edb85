package io.maaskit.model.arch.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.maaskit.model.arch.Pooling;
import io.maaskit.model.engine.Weights;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * Sequence-classification head in Hugging Face layout, by the names of the architecture's {@link
 * EncoderTensors}: where the checkpoint has the head's hidden layer (BERT's pooler, RoBERTa's
 * {@code classifier.dense}, DistilBERT's {@code pre_classifier}), the [CLS] state goes through it
 * and its activation (tanh, or ReLU) into the output projection; otherwise the package's pooling
 * (mean for heads this kit trains) feeds the output projection ({@code classifier}).
 */
final class BertHead {
  private final NDArray weight;
  private final NDArray bias;
  private final NDArray hiddenW;
  private final NDArray hiddenB;
  private final boolean relu;
  private final List<String> labels;

  /**
   * @param w the checkpoint's tensors, unprefixed
   * @param names the architecture's table
   */
  BertHead(Weights w, EncoderTensors names, List<String> labels) {
    String out = EncoderTensors.firstPresent(names.headOutput(), w::has);
    if (out == null) {
      throw new IllegalArgumentException(
          "weights are missing the head's output projection: none of "
              + names.headOutput().stream().map(n -> n + ".weight").toList());
    }
    this.weight = w.get(out + ".weight");
    this.bias = w.get(out + ".bias");
    String hidden = EncoderTensors.firstPresent(names.headHidden(), w::has);
    if (hidden != null) {
      this.hiddenW = w.get(hidden + ".weight");
      this.hiddenB = w.get(hidden + ".bias");
    } else {
      this.hiddenW = null;
      this.hiddenB = null;
    }
    this.relu = names.headActivation().equals("relu");
    if (weight.getShape().get(0) != labels.size()) {
      throw new IllegalArgumentException(
          out
              + ".weight has "
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
    NDArray features;
    if (hiddenW != null) {
      NDArray h = BertEncoder.linear(Pooling.CLS.apply(hidden, mask), hiddenW, hiddenB);
      features = relu ? Activation.relu(h) : h.tanh();
    } else {
      features = pool.apply(hidden, mask);
    }
    return BertEncoder.linear(features, weight, bias);
  }
}
