package io.maaskit.model.engine.onnxruntime;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.maaskit.model.engine.CompiledGraph;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime, set up once per process (its native library through DJL) and registered as engine
 * {@code onnxruntime}: it runs compiled graphs ({@link #openGraph}) on the CPU in ONNX Runtime's
 * own Java sessions (pinned outputs let a decoder's cache be appended in place), each with intra-op
 * threads = {@link EngineOptions#threads()} (all vCPUs when 0), one inter-op thread, sequential
 * execution and all graph optimizations.
 *
 * <p>NDArray work (a package without a compiled graph, training, explanations) is not ONNX
 * Runtime's: {@link #newManager()}, {@link #gradients()} and friends hand it to the process's
 * PyTorch engine, started only when first needed, so a package without {@code model.onnx} still
 * serves on PyTorch. DJL's own "alternative engine" fallback is switched off ({@code
 * ai.djl.onnx.disable_alternative}), so nothing inside DJL starts PyTorch behind our back.
 */
public final class OnnxRuntimeEngine implements Engine {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeEngine.class);
  private static volatile OnnxRuntimeEngine instance;

  private final EngineOptions options;
  private final int threads;
  private final String version;
  private volatile Engine eager;

  private OnnxRuntimeEngine(EngineOptions options, int threads, String version) {
    this.options = options;
    this.threads = threads;
    this.version = version;
  }

  /** The {@code ServiceLoader} registration of engine {@code onnxruntime}. */
  public static final class Provider implements EngineProvider {
    @Override
    public String name() {
      return "onnxruntime";
    }

    @Override
    public Engine start(EngineOptions options) {
      return OnnxRuntimeEngine.start(options);
    }
  }

  /** Starts (or returns) the process-wide engine. Options of later calls are ignored. */
  public static OnnxRuntimeEngine start(EngineOptions options) {
    OnnxRuntimeEngine rt = instance;
    if (rt != null) {
      return rt;
    }
    synchronized (OnnxRuntimeEngine.class) {
      if (instance == null) {
        if (options.device().equals("gpu")) {
          throw new IllegalStateException(
              "the onnxruntime engine runs on the CPU; use engine pytorch for device=gpu");
        }
        long t0 = System.nanoTime();
        System.setProperty("ai.djl.offline", Boolean.toString(options.offline()));
        System.setProperty("ai.djl.onnx.disable_alternative", "true");
        String version;
        try {
          ai.djl.engine.Engine.getEngine("OnnxRuntime");
          version = OrtEnvironment.getEnvironment().getVersion();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
          throw new IllegalStateException(
              "could not start the ONNX Runtime engine (are ai.djl.onnxruntime:onnxruntime-engine"
                  + " and com.microsoft.onnxruntime:onnxruntime on the classpath?): "
                  + e.getMessage(),
              e);
        }
        int threads =
            options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
        instance = new OnnxRuntimeEngine(options, threads, version);
        LOG.info(
            "ONNX Runtime engine {} on cpu, {} intra-op threads, started in {} ms",
            version,
            threads,
            (System.nanoTime() - t0) / 1_000_000);
      }
      return instance;
    }
  }

  @Override
  public String name() {
    return "onnxruntime";
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public Device device() {
    return Device.cpu();
  }

  @Override
  public DataType computeType() {
    return DataType.FLOAT32;
  }

  @Override
  public int threads() {
    return threads;
  }

  @Override
  public int gpuCount() {
    return 0;
  }

  @Override
  public boolean runsGraphs() {
    return true;
  }

  @Override
  public CompiledGraph openGraph(ByteBuffer graph, String name) {
    OrtSession.SessionOptions session = new OrtSession.SessionOptions();
    try {
      session.setIntraOpNumThreads(threads);
      session.setInterOpNumThreads(1);
      session.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      session.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      // A mapped package file is a direct buffer: ONNX Runtime reads the graph from it in place.
      // Bytes on the heap (a fetched package) are handed over as an array.
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession s;
      if (graph.isDirect()) {
        s = env.createSession(graph.duplicate(), session);
      } else {
        byte[] bytes = new byte[graph.remaining()];
        graph.duplicate().get(bytes);
        s = env.createSession(bytes, session);
      }
      try {
        return new OrtGraph(env, s, session, name);
      } catch (OrtException | RuntimeException e) {
        s.close();
        throw e;
      }
    } catch (OrtException | RuntimeException e) {
      session.close();
      throw new IllegalArgumentException(
          "ONNX Runtime cannot load the compiled graph of " + name + ": " + e.getMessage(), e);
    }
  }

  /** NDArrays are PyTorch's: a package without a compiled graph runs there. */
  @Override
  public NDManager newManager() {
    return eager().newManager();
  }

  @Override
  public void prepareThread() {
    Engine e = eager;
    if (e != null) {
      e.prepareThread();
    }
  }

  @Override
  public Engine onDevice(Device other) {
    return other.isGpu() ? eager().onDevice(other) : this;
  }

  @Override
  public Gradients gradients() {
    return eager().gradients();
  }

  private Engine eager() {
    Engine e = eager;
    if (e == null) {
      synchronized (this) {
        if (eager == null) {
          try {
            eager =
                Engine.start(
                    new EngineOptions(
                        "pytorch", options.device(), options.threads(), options.offline()));
          } catch (IllegalArgumentException missing) {
            throw new IllegalStateException(
                "this package needs NDArrays (no compiled graph, or training/explanations), which"
                    + " the onnxruntime engine hands to PyTorch, and this deployable has no PyTorch"
                    + " engine",
                missing);
          }
        }
        e = eager;
      }
    }
    return e;
  }
}
