package io.maaskit.it.quant;

/** e5-small-v2: mean pooling. */
class QuantE5SmallTest extends SmallEncoderQuantTest {
  @Override
  String model() {
    return "e5-small-v2";
  }

  @Override
  String pooling() {
    return "mean";
  }
}
