package io.maaskit.model.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * An engine that runs eager networks ({@link Engine.Capability#EAGER}): architectures written on
 * DJL's engine-neutral {@link NDArray} API get their arrays from {@link #newManager()}; training
 * and explanations get grad-mode control from {@link #gradients()} where the engine has {@link
 * Engine.Capability#GRADIENTS}. DJL's types appear in the engines and the eager implementations
 * only, through this interface; the registry and the services see {@link Engine}.
 *
 * <pre>{@code
 * EagerEngine engine = EagerEngine.start(EngineOptions.defaults());
 * try (NDManager m = engine.newManager()) { ... }
 * }</pre>
 */
public interface EagerEngine extends Engine {
  /** The device computations run on. */
  Device device();

  /** The dtype weights are held and computed in (fp32 on CPU, fp16 on GPU). */
  DataType computeType();

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
  EagerEngine onDevice(Device other);

  /**
   * Gradient control for training and explanations.
   *
   * @throws UnsupportedOperationException if this engine lacks {@link Engine.Capability#GRADIENTS}
   */
  Gradients gradients();

  /**
   * Starts (or returns) the process-wide eager engine {@code options} select: the named one, or
   * with {@code auto} the highest-ranked carried engine that runs eager networks and computes
   * gradients (tools, training, comparisons).
   *
   * @throws IllegalArgumentException if no carried engine fits
   */
  static EagerEngine start(EngineOptions options) {
    return of(Engine.start(options, Capability.EAGER, Capability.GRADIENTS));
  }

  /**
   * {@code engine} as an eager engine.
   *
   * @throws IllegalArgumentException if it does not run eager networks
   */
  static EagerEngine of(Engine engine) {
    if (engine instanceof EagerEngine e && e.hasCapability(Capability.EAGER)) {
      return e;
    }
    throw new IllegalArgumentException(
        "engine "
            + engine.name()
            + " does not run eager networks (it can do: "
            + engine.capabilities()
            + ")");
  }

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
}
