package io.maaskit.model.engine;

import java.util.Locale;

/**
 * How the engine is set up. Built from configuration at the edges; the core never reads the
 * environment itself.
 *
 * @param engine {@code auto} (the default engine of this deployable) or an engine name such as
 *     {@code pytorch}
 * @param device {@code auto} (CUDA when the engine sees one, else CPU), {@code cpu} or {@code gpu}
 * @param threads intra-op threads for the engine; 0 keeps the engine's default (all cores)
 * @param offline never download engine natives (they come from the classpath); only a build step
 *     that unpacks natives into an image turns this off
 * @param profileDir null, or where an engine that runs graphs writes a per-op profile of every
 *     session it opens (ONNX Runtime's {@code SessionOptions.enableProfiling}); for benchmarks
 */
public record EngineOptions(
    String engine, String device, int threads, boolean offline, java.nio.file.Path profileDir) {
  public EngineOptions {
    engine = engine == null || engine.isBlank() ? "auto" : engine.trim().toLowerCase(Locale.ROOT);
    device = device == null || device.isBlank() ? "auto" : device.trim().toLowerCase(Locale.ROOT);
    if (!device.equals("auto") && !device.equals("cpu") && !device.equals("gpu")) {
      throw new IllegalArgumentException("device must be auto, cpu or gpu, not '" + device + "'");
    }
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0");
    }
  }

  /** Options without profiling. */
  public EngineOptions(String engine, String device, int threads, boolean offline) {
    this(engine, device, threads, offline, null);
  }

  /** The same options with sessions profiled into {@code dir}. */
  public EngineOptions withProfileDir(java.nio.file.Path dir) {
    return new EngineOptions(engine, device, threads, offline, dir);
  }

  /** The default engine on {@code device} with {@code threads} intra-op threads, offline. */
  public EngineOptions(String device, int threads) {
    this("auto", device, threads, true);
  }

  /** Default engine, CPU-or-GPU automatically, engine-default threads. */
  public static EngineOptions defaults() {
    return new EngineOptions("auto", "auto", 0, true);
  }
}
