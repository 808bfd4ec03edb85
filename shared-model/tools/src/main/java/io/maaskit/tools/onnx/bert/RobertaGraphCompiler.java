package io.maaskit.tools.onnx.bert;

/**
 * Compiles {@code roberta} packages: {@link BertGraphCompiler}'s graph by the names of the {@code
 * roberta} architecture's table (its int8 calibration included).
 */
public final class RobertaGraphCompiler extends BertGraphCompiler {
  /** Registered through {@code META-INF/services}. */
  public RobertaGraphCompiler() {
    super("roberta");
  }
}
