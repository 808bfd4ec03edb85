package io.maaskit.functions;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;

/**
 * Starts the engine once and runs one matmul, so DJL unpacks its PyTorch natives into {@code
 * DJL_CACHE_DIR}. Container builds run it so the natives live in the image, not in /tmp at run
 * time. It ships in the function zip (functions-core), which is why it lives here and not with the
 * CLI.
 *
 * <pre>{@code
 * java -cp 'task:task/lib/*' io.maaskit.functions.EngineWarmup [auto|cpu|gpu]
 * }</pre>
 */
public final class EngineWarmup {
  private EngineWarmup() {}

  /** Entry point; the optional argument is the device ({@code auto} by default). */
  public static void main(String[] args) {
    if (args.length > 1 || (args.length == 1 && args[0].startsWith("-"))) {
      System.err.println("usage: java -cp ... io.maaskit.functions.EngineWarmup [auto|cpu|gpu]");
      System.exit(args.length == 1 && (args[0].equals("--help") || args[0].equals("-h")) ? 0 : 2);
    }
    long t0 = System.nanoTime();
    // An image build lifts offline mode with -Dai.djl.offline=false so DJL unpacks its natives from
    // the classpath jar; the entry point is the edge where that setting is read.
    boolean offline = Boolean.parseBoolean(System.getProperty("ai.djl.offline", "true"));
    Engine rt =
        Engine.start(new EngineOptions("auto", args.length == 1 ? args[0] : "auto", 0, offline));
    try (NDManager m = rt.newManager()) {
      NDArray x = m.ones(new Shape(64, 64));
      float v = x.matMul(x).getFloat(0, 0);
      System.out.printf(
          "engine ready on %s in %d ms (check value %.0f)%n",
          rt.device(), (System.nanoTime() - t0) / 1_000_000, v);
    }
  }
}
