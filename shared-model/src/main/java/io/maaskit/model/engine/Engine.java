package io.maaskit.model.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.util.ServiceLoader;

/**
 * A tensor engine, set up once per process: where computations run, in which dtype, on how many
 * threads. Architectures written on DJL's engine-neutral {@link NDArray} API get their arrays from
 * {@link #newManager()}; training gets grad-mode control from {@link #gradients()}. Nothing outside
 * an engine's own package names the engine's concrete types.
 *
 * <pre>{@code
 * Engine engine = Engine.start(EngineOptions.defaults());
 * try (NDManager m = engine.newManager()) { ... }
 * }</pre>
 */
public interface Engine {
  /** Engine name as in {@link EngineOptions#engine()}, e.g. {@code pytorch}. */
  String name();

  /** Version of the engine's native library. */
  String version();

  /** The device computations run on. */
  Device device();

  /** The dtype weights are held and computed in (fp32 on CPU, fp16 on GPU). */
  DataType computeType();

  /** Intra-op threads the engine uses. */
  int threads();

  /** Number of CUDA devices the engine sees. */
  int gpuCount();

  /** A new manager on the engine's device; closing it frees its arrays. */
  NDManager newManager();

  /**
   * Prepares the calling thread for inference (e.g. turns off autograd recording); call before
   * running a model on a thread the engine did not start on.
   */
  void prepareThread();

  /** The same engine on another device (fp16 on GPU, fp32 on CPU); for comparisons. */
  Engine onDevice(Device other);

  /** Gradient control for training. */
  Gradients gradients();

  /**
   * Whether {@link #openGraph} works: engines that run compiled graphs (ONNX Runtime) say yes,
   * eager engines (PyTorch) no. An architecture uses a package's compiled graph only when it does.
   */
  boolean runsGraphs();

  /**
   * Opens a compiled graph (an ONNX model, self-contained: weights are initializers).
   *
   * @param graph the file's bytes
   * @param name for messages and logs, e.g. the model id
   * @throws UnsupportedOperationException if this engine does not {@link #runsGraphs() run graphs}
   * @throws IllegalArgumentException if the bytes are not a graph the engine can run
   */
  CompiledGraph openGraph(ByteBuffer graph, String name);

  /** Grad mode and gradient resets: what training needs beyond forward passes. */
  interface Gradients {
    /** Sets grad mode on the calling thread; returns the previous mode. */
    boolean gradMode(boolean on);

    /** Zeroes a parameter's accumulated gradient in place. */
    void zeroGrad(NDArray parameter);

    /**
     * Back-propagates from {@code target} (a scalar, or summed as if it were) through what the
     * calling thread recorded in grad mode; gradients land on arrays marked with {@link
     * NDArray#setRequiresGradient}. Unlike DJL's {@code GradientCollector}, of which only one may
     * exist per process, this is safe to call from several request threads at once.
     */
    void backward(NDArray target);
  }

  /** Starts an engine; {@link EngineProvider}s register through {@link ServiceLoader}. */
  interface EngineProvider {
    /** The name {@link EngineOptions#engine()} selects. */
    String name();

    /**
     * Whether this deployable carries the engine's classes and natives. A provider registered in
     * the core may lack its library at run time (the Lambda zips carry no PyTorch); it must then
     * say so here instead of failing when {@link ServiceLoader} instantiates it.
     */
    default boolean available() {
      return true;
    }

    /** Starts (or returns) the process-wide engine of this kind. */
    Engine start(EngineOptions options);
  }

  /**
   * Starts (or returns) the process-wide engine that {@code options} select. {@code auto} means an
   * engine for eager NDArray work (training, tools, comparisons): PyTorch where this deployable
   * carries it, else the first available provider. Which engine <em>serves</em> a package is
   * decided per package by {@code io.maaskit.model.registry.EngineChoice}.
   */
  static Engine start(EngineOptions options) {
    EngineProvider first = null;
    java.util.List<String> names = new java.util.ArrayList<>();
    for (EngineProvider p : providers()) {
      names.add(p.name());
      if (first == null) {
        first = p;
      }
      if (p.name().equals(options.engine())
          || (options.engine().equals("auto") && p.name().equals("pytorch"))) {
        return p.start(options);
      }
    }
    if (first != null && options.engine().equals("auto")) {
      return first.start(options);
    }
    throw new IllegalArgumentException(
        "engine '"
            + options.engine()
            + "' is not available in this deployable (available: "
            + (names.isEmpty() ? "none" : String.join(", ", names))
            + ")");
  }

  /**
   * The providers registered through {@link ServiceLoader} whose engine this deployable carries.
   */
  static java.util.List<EngineProvider> providers() {
    java.util.List<EngineProvider> out = new java.util.ArrayList<>();
    for (EngineProvider p :
        ServiceLoader.load(EngineProvider.class, Engine.class.getClassLoader())) {
      if (p.available()) {
        out.add(p);
      }
    }
    return out;
  }
}
