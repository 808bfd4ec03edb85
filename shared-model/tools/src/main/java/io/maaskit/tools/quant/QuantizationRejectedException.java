package io.maaskit.tools.quant;

import io.maaskit.model.error.ModelException;

/**
 * The accuracy gate refused a quantized model: some input's int8 embedding strayed too far from the
 * float32 one. Nothing was produced; the message names the worst input and the figures.
 */
public class QuantizationRejectedException extends ModelException {
  private final transient AccuracyGate.Result result;

  public QuantizationRejectedException(String message, AccuracyGate.Result result) {
    super(message);
    this.result = result;
  }

  /** What the gate measured. */
  public AccuracyGate.Result result() {
    return result;
  }
}
