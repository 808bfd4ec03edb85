package io.maaskit.functions;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.registry.EngineChoice;

/**
 * Starts the serving engine once (and, for PyTorch, runs one matmul), so its natives are unpacked
 * and loadable before the first request: container builds run it so DJL's PyTorch natives live in
 * the image ({@code DJL_CACHE_DIR}), not in /tmp at run time, and fail the build when the image
 * lacks the engine it is meant to serve on. It ships in the function zip (functions-core), which is
 * why it lives here and not with the CLI.
 *
 * <pre>{@code
 * java -cp 'task:task/lib/*' io.maaskit.functions.EngineWarmup [auto|cpu|gpu] [auto|onnxruntime|pytorch]
 * }</pre>
 */
public final class EngineWarmup {
  private EngineWarmup() {}

  /** Entry point; the optional arguments are the device and the engine ({@code auto} both). */
  public static void main(String[] args) {
    if (args.length > 2 || (args.length >= 1 && args[0].startsWith("-"))) {
      System.err.println(
          "usage: java -cp ... io.maaskit.functions.EngineWarmup [auto|cpu|gpu]"
              + " [auto|onnxruntime|pytorch]");
      System.exit(args.length == 1 && (args[0].equals("--help") || args[0].equals("-h")) ? 0 : 2);
    }
    long t0 = System.nanoTime();
    // An image build lifts offline mode with -Dai.djl.offline=false so DJL unpacks its natives from
    // the classpath jar; the entry point is the edge where that setting is read.
    boolean offline = Boolean.parseBoolean(System.getProperty("ai.djl.offline", "true"));
    EngineChoice engines =
        EngineChoice.start(
            new EngineOptions(
                args.length == 2 ? args[1] : "auto",
                args.length >= 1 ? args[0] : "auto",
                0,
                offline));
    Engine rt = engines.startDefault();
    if (!(rt instanceof EagerEngine eager)) {
      System.out.printf(
          "engine %s %s ready on %s in %d ms (carried: %s)%n",
          rt.name(),
          rt.version(),
          rt.gpu() ? "gpu" : "cpu",
          (System.nanoTime() - t0) / 1_000_000,
          String.join(", ", engines.carried()));
      return;
    }
    // An eager engine's natives load on first use of an array, not at start: run one product.
    try (NDManager m = eager.newManager()) {
      NDArray x = m.ones(new Shape(64, 64));
      float v = x.matMul(x).getFloat(0, 0);
      System.out.printf(
          "engine %s ready on %s in %d ms (check value %.0f)%n",
          rt.name(), eager.device(), (System.nanoTime() - t0) / 1_000_000, v);
    }
  }
}
