package io.maaskit.model.engine.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DJL PyTorch engine, set up once per process: offline natives (from the classpath, never a
 * download), thread count, device and compute dtype (fp32 on CPU, fp16 on GPU). Registered as
 * engine {@code pytorch}. It runs eager networks and computes gradients, on a GPU where it finds
 * one; it runs no compiled graphs.
 */
public final class PyTorchEngine implements EagerEngine, EagerEngine.Gradients {
  private static final Logger LOG = LoggerFactory.getLogger(PyTorchEngine.class);
  private static volatile PyTorchEngine instance;

  private final ai.djl.engine.Engine engine;
  private final Device device;
  private final DataType computeType;
  private final NDManager root;

  private PyTorchEngine(ai.djl.engine.Engine engine, Device device, DataType computeType) {
    this.engine = engine;
    this.device = device;
    this.computeType = computeType;
    this.root = engine.newBaseManager(device);
  }

  /** The {@code ServiceLoader} registration of engine {@code pytorch}. */
  public static final class Provider implements EngineProvider {
    @Override
    public String name() {
      return "pytorch";
    }

    /**
     * PyTorch's classes are an optional dependency of the core: the Lambda zips and the CPU image
     * do not carry them. Looked up without initialising anything, so a deployable without them sees
     * an unavailable provider rather than a {@link NoClassDefFoundError}.
     */
    @Override
    public boolean available() {
      try {
        Class.forName(
            "ai.djl.pytorch.engine.PtEngineProvider", false, Provider.class.getClassLoader());
        return true;
      } catch (ClassNotFoundException | LinkageError e) {
        return false;
      }
    }

    private static volatile Boolean cuda;

    /** Eager networks and gradients, on a GPU where the build and the machine have one. */
    @Override
    public Set<Capability> capabilities() {
      return EnumSet.of(Capability.EAGER, Capability.GRADIENTS, Capability.GPU);
    }

    /** A CUDA device DJL can see (looked up once). */
    @Override
    public boolean gpuPresent() {
      Boolean c = cuda;
      if (c == null) {
        cuda = c = ai.djl.util.cuda.CudaUtils.hasCuda();
      }
      return c;
    }

    @Override
    public Engine start(EngineOptions options) {
      return PyTorchEngine.start(options);
    }
  }

  /** Starts (or returns) the process-wide engine. Options of later calls are ignored. */
  public static PyTorchEngine start(EngineOptions options) {
    PyTorchEngine rt = instance;
    if (rt != null) {
      return rt;
    }
    synchronized (PyTorchEngine.class) {
      if (instance == null) {
        long t0 = System.nanoTime();
        // Natives come from pytorch-native-cpu on the classpath; offline makes a missing one an
        // explicit error instead of a silent download attempt.
        System.setProperty("ai.djl.offline", Boolean.toString(options.offline()));
        if (options.threads() > 0) {
          System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(options.threads()));
          System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        ai.djl.engine.Engine engine;
        try {
          engine = ai.djl.engine.Engine.getEngine("PyTorch");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
          throw new IllegalStateException(
              "could not start the PyTorch engine (are ai.djl.pytorch:pytorch-native-cpu and"
                  + " pytorch-jni on the classpath?): "
                  + e.getMessage(),
              e);
        }
        Device device = pick(engine, options.device());
        instance = new PyTorchEngine(engine, device, computeType(device));
        LOG.info(
            "PyTorch engine {} on {} ({}), {} threads, started in {} ms",
            engine.getVersion(),
            device,
            instance.computeType,
            JniUtils.getNumThreads(),
            (System.nanoTime() - t0) / 1_000_000);
      }
      return instance;
    }
  }

  private static DataType computeType(Device device) {
    return device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
  }

  private static Device pick(ai.djl.engine.Engine engine, String wanted) {
    int gpus = engine.getGpuCount();
    return switch (wanted) {
      case "cpu" -> Device.cpu();
      case "gpu" -> {
        if (gpus == 0) {
          throw new IllegalStateException(
              "device=gpu was requested but the engine sees no CUDA device");
        }
        yield Device.gpu();
      }
      default -> gpus > 0 ? Device.gpu() : Device.cpu();
    };
  }

  @Override
  public String name() {
    return "pytorch";
  }

  @Override
  public String version() {
    return engine.getVersion();
  }

  @Override
  public Set<Capability> capabilities() {
    return device.isGpu()
        ? EnumSet.of(Capability.EAGER, Capability.GRADIENTS, Capability.GPU)
        : EnumSet.of(Capability.EAGER, Capability.GRADIENTS);
  }

  @Override
  public EagerEngine onDevice(Device other) {
    return new PyTorchEngine(engine, other, computeType(other));
  }

  @Override
  public int gpuCount() {
    return engine.getGpuCount();
  }

  @Override
  public int threads() {
    return JniUtils.getNumThreads();
  }

  @Override
  public NDManager newManager() {
    return root.newSubManager(device);
  }

  @Override
  public Device device() {
    return device;
  }

  @Override
  public DataType computeType() {
    return computeType;
  }

  /**
   * DJL turns grad mode off only on the thread that initialised the engine; every other thread
   * starts with autograd recording, which costs time and memory.
   */
  @Override
  public void prepareThread() {
    JniUtils.setGradMode(false);
  }

  @Override
  public Gradients gradients() {
    return this;
  }

  @Override
  public boolean gradMode(boolean on) {
    boolean prev = JniUtils.isGradMode();
    JniUtils.setGradMode(on);
    return prev;
  }

  @Override
  public void backward(NDArray target) {
    try (NDArray seed = target.onesLike()) {
      JniUtils.backward((PtNDArray) target, (PtNDArray) seed, false, false);
    }
  }

  /** PyTorch accumulates gradients across backward calls; training resets them per step. */
  @Override
  public void zeroGrad(NDArray parameter) {
    JniUtils.zeroGrad((PtNDArray) parameter);
  }
}
