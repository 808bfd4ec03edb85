package io.maaskit.model.runtime;

/**
 * How the tensor runtime is set up. Built from configuration at the edges; the core never reads the
 * environment itself.
 *
 * @param device {@code auto} (CUDA when the engine sees one, else CPU), {@code cpu} or {@code gpu}
 * @param threads intra-op threads for the engine; 0 keeps the engine's default (all cores)
 */
public record RuntimeOptions(String device, int threads) {
  public RuntimeOptions {
    device = device == null || device.isBlank() ? "auto" : device.trim().toLowerCase();
    if (!device.equals("auto") && !device.equals("cpu") && !device.equals("gpu")) {
      throw new IllegalArgumentException("device must be auto, cpu or gpu, not '" + device + "'");
    }
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0");
    }
  }

  /** CPU-or-GPU automatically, engine-default threads. */
  public static RuntimeOptions defaults() {
    return new RuntimeOptions("auto", 0);
  }
}
