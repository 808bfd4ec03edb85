package io.maaskit.functions.queue;

import io.maaskit.functions.testing.FunctionZips;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The packaged SQS {@code function.zip} (integration-test phase): one architecture's ONNX Runtime
 * and tokenizer natives, no libtorch, under the size budget.
 */
class FunctionZipIT {
  static final Path ZIP = Path.of("target", "function.zip");

  @Test
  void zipCarriesOneArchitecturesOnnxRuntimeNativesAndNoLibtorch() throws IOException {
    Assumptions.assumeFalse(FunctionZips.withPyTorch(), "built with -Dlambda.pytorch=true");
    long bytes = FunctionZips.assertOneArchitectureNoTorch(ZIP, FunctionZips.architecture());
    System.out.printf("%s: %,d bytes unzipped%n", ZIP, bytes);
  }
}
