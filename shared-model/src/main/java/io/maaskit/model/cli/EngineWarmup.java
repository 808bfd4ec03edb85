package io.maaskit.model.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.maaskit.model.runtime.RuntimeOptions;
import io.maaskit.model.runtime.TorchRuntime;

/**
 * Starts the engine once and runs one matmul, so DJL unpacks its PyTorch natives into {@code
 * DJL_CACHE_DIR}. Container builds run it so the natives live in the image, not in /tmp at run
 * time.
 */
public final class EngineWarmup {
  private EngineWarmup() {}

  public static void main(String[] args) {
    Args.run(
        "usage: java -cp ... io.maaskit.model.cli.EngineWarmup [--device auto|cpu|gpu]",
        args,
        () -> {
          Args a = Args.parse(args, java.util.Set.of("device"), java.util.Set.of());
          long t0 = System.nanoTime();
          TorchRuntime rt = TorchRuntime.start(new RuntimeOptions(a.get("device", "auto"), 0));
          try (NDManager m = rt.newManager()) {
            NDArray x = m.ones(new ai.djl.ndarray.types.Shape(64, 64));
            float v = x.matMul(x).getFloat(0, 0);
            System.out.printf(
                "engine ready on %s in %d ms (check value %.0f; natives in %s)%n",
                rt.device(),
                (System.nanoTime() - t0) / 1_000_000,
                v,
                System.getenv().getOrDefault("DJL_CACHE_DIR", "~/.djl.ai"));
          }
        });
  }
}
