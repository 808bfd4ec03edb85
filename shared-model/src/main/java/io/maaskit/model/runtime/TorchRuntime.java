package io.maaskit.model.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DJL PyTorch engine, set up once per process: offline natives (from the classpath, never a
 * download), thread count, device and compute dtype (fp32 on CPU, fp16 on GPU).
 *
 * <pre>{@code
 * TorchRuntime rt = TorchRuntime.start(RuntimeOptions.defaults());
 * try (NDManager m = rt.newManager()) { ... }
 * }</pre>
 */
public final class TorchRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(TorchRuntime.class);
  private static volatile TorchRuntime instance;

  private final Engine engine;
  private final Device device;
  private final DataType computeType;
  private final NDManager root;

  private TorchRuntime(Engine engine, Device device, DataType computeType) {
    this.engine = engine;
    this.device = device;
    this.computeType = computeType;
    this.root = engine.newBaseManager(device);
  }

  /** Starts (or returns) the process-wide runtime. Options of later calls are ignored. */
  public static TorchRuntime start(RuntimeOptions options) {
    TorchRuntime rt = instance;
    if (rt != null) {
      return rt;
    }
    synchronized (TorchRuntime.class) {
      if (instance == null) {
        long t0 = System.nanoTime();
        // Natives come from pytorch-native-cpu on the classpath; offline makes a missing one an
        // explicit error instead of a silent download attempt.
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        if (options.threads() > 0) {
          System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(options.threads()));
          System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        Engine engine;
        try {
          engine = Engine.getEngine("PyTorch");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
          throw new IllegalStateException(
              "could not start the PyTorch engine (are ai.djl.pytorch:pytorch-native-cpu and"
                  + " pytorch-jni on the classpath?): "
                  + e.getMessage(),
              e);
        }
        Device device = pick(engine, options.device());
        DataType dt = device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
        instance = new TorchRuntime(engine, device, dt);
        LOG.info(
            "PyTorch engine {} on {} ({}), {} threads, started in {} ms",
            engine.getVersion(),
            device,
            dt,
            JniUtils.getNumThreads(),
            (System.nanoTime() - t0) / 1_000_000);
      }
      return instance;
    }
  }

  private static Device pick(Engine engine, String wanted) {
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

  /**
   * A runtime on another device sharing this engine (fp16 on GPU, fp32 on CPU); for comparisons.
   */
  public TorchRuntime onDevice(Device other) {
    return new TorchRuntime(engine, other, other.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32);
  }

  /** Number of CUDA devices the engine sees. */
  public int gpuCount() {
    return engine.getGpuCount();
  }

  /** A new manager on the runtime's device; close it to free its arrays. */
  public NDManager newManager() {
    return root.newSubManager(device);
  }

  /** The device computations run on. */
  public Device device() {
    return device;
  }

  /** fp32 on CPU, fp16 on GPU. */
  public DataType computeType() {
    return computeType;
  }

  /** The engine. */
  public Engine engine() {
    return engine;
  }

  /**
   * Prepares the calling thread for inference. DJL turns grad mode off only on the thread that
   * initialised the engine; every other thread starts with autograd recording, which costs time and
   * memory.
   */
  public static void inferenceThread() {
    JniUtils.setGradMode(false);
  }
}
