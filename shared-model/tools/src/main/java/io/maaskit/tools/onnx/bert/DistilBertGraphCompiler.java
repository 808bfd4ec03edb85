package io.maaskit.tools.onnx.bert;

/**
 * Compiles {@code distilbert} packages: {@link BertGraphCompiler}'s graph by the names of the
 * {@code distilbert} architecture's table (its int8 calibration included).
 */
public final class DistilBertGraphCompiler extends BertGraphCompiler {
  /** Registered through {@code META-INF/services}. */
  public DistilBertGraphCompiler() {
    super("distilbert");
  }
}
