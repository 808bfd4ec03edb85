package io.maaskit.it.quant;

/** bge-small-en-v1.5: [CLS] pooling, where quantization noise hurts most (one token's state). */
class QuantBgeSmallTest extends SmallEncoderQuantTest {
  @Override
  String model() {
    return "bge-small-en-v1.5";
  }

  @Override
  String pooling() {
    return "cls";
  }
}
