package io.maaskit.tools.quant;

import io.maaskit.model.error.ModelException;

/**
 * The accuracy gate refused a quantized model: some input's int8 embedding strayed too far from the
 * float32 one, or (generators) the int8 model's next-token predictions agree too little with the
 * float32 ones. Nothing was produced; the message names the worst input and the figures.
 */
public class QuantizationRejectedException extends ModelException {
  private final transient AccuracyGate.Result result;
  private final transient GeneratorGate.Result generatorResult;

  public QuantizationRejectedException(String message, AccuracyGate.Result result) {
    super(message);
    this.result = result;
    this.generatorResult = null;
  }

  /** A generator's rejection. */
  public QuantizationRejectedException(String message, GeneratorGate.Result result) {
    super(message);
    this.result = null;
    this.generatorResult = result;
  }

  /** What the encoder gate measured (null for generators). */
  public AccuracyGate.Result result() {
    return result;
  }

  /** What the generator gate measured (null for encoders). */
  public GeneratorGate.Result generatorResult() {
    return generatorResult;
  }
}
