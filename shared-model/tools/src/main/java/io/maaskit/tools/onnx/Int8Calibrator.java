package io.maaskit.tools.onnx;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.store.Progress;
import java.io.IOException;
import java.util.List;

/**
 * A {@link GraphCompiler} that can decide, per linear layer, how its int8 graph runs: it measures
 * the float32 package on calibration inputs (each layer's input ranges, then each int8 kernel's
 * output error on those same inputs) and returns an {@link Int8Plan}, with the float32 graph's
 * vectors of the calibration inputs from the same pass (the accuracy gate's reference, so the
 * float32 model runs over the calibration set once). The quantizer asks for one when the
 * architecture's compiler implements this.
 */
public interface Int8Calibrator {
  /**
   * What calibration measured.
   *
   * @param plan one choice per linear layer, every one on the dynamic kernel with the input
   *     smoothing that measured best; the caller moves layers to the blockwise kernel as the gate
   *     requires
   * @param float32 the float32 graph's pooled (unnormalized) vector of each calibration input, in
   *     input order
   */
  record Calibration(Int8Plan plan, float[][] float32) {}

  /**
   * Measures the float32 package.
   *
   * @param source the float32 package's manifest
   * @param files its files
   * @param reference the float32 package loaded (its tokenizer and batching are the calibration's)
   * @param engine an engine that runs graphs, on which the probe graphs run
   * @param texts the calibration inputs
   */
  Calibration calibrate(
      ModelManifest source,
      Architecture.PackageFiles files,
      TextEncoder reference,
      Engine engine,
      List<String> texts,
      Progress progress)
      throws IOException;
}
