package io.maaskit.tools.quant;

import io.maaskit.model.error.ModelException;

/**
 * The accuracy gate refused a quantized model: some input's int8 embedding strayed too far from the
 * float32 one, (generators) the int8 model's next-token predictions agree too little with the
 * float32 ones, or (token classifiers) its per-token logits stray or its labels flip. Nothing was
 * produced; the message names the worst input and the figures.
 */
public class QuantizationRejectedException extends ModelException {
  private final transient AccuracyGate.Result result;
  private final transient GeneratorGate.Result generatorResult;
  private final transient TokenLogitsGate.Result tokenResult;

  public QuantizationRejectedException(String message, AccuracyGate.Result result) {
    super(message);
    this.result = result;
    this.generatorResult = null;
    this.tokenResult = null;
  }

  /** A generator's rejection. */
  public QuantizationRejectedException(String message, GeneratorGate.Result result) {
    super(message);
    this.result = null;
    this.generatorResult = result;
    this.tokenResult = null;
  }

  /** A token classifier's rejection by its per-token logits. */
  public QuantizationRejectedException(String message, TokenLogitsGate.Result result) {
    super(message);
    this.result = null;
    this.generatorResult = null;
    this.tokenResult = result;
  }

  /** What the token-logits gate measured (null unless it refused). */
  public TokenLogitsGate.Result tokenResult() {
    return tokenResult;
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
