package io.maaskit.model.engine.onnxruntime;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.maaskit.model.engine.CompiledGraph;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime through DJL, set up once per process and registered as engine {@code onnxruntime}:
 * it runs compiled graphs ({@link #openGraph}) on the CPU, each session with intra-op threads =
 * {@link EngineOptions#threads()} (all vCPUs when 0), one inter-op thread, sequential execution,
 * all graph optimizations and no memory patterns (shapes vary per request).
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
    Model model = null;
    try {
      session.setIntraOpNumThreads(threads);
      session.setInterOpNumThreads(1);
      session.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      session.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      // Inputs are [batch, sequence] of any size, so ORT's memory patterns (one pre-planned
      // block per input shape, kept for reuse) are rarely reused and only add to the resident
      // set; the arena stays on: without it glibc kept more (MiniLM int8, 2 x 256 inputs, peak
      // RSS in-process 345 MB without patterns, 363 MB with them, 408 MB without either).
      session.setMemoryPatternOptimization(false);
      model = Model.newInstance(name, Device.cpu(), "OnnxRuntime");
      // DJL takes a ready SessionOptions only through the options map of Model.load; Criteria
      // options are strings. Loading from a stream lets the package's (mapped or in-memory) bytes
      // reach ORT without a file of our own.
      model.load(new BufferInputStream(graph), Map.of("sessionOptions", session));
      return new OrtGraph(model, session);
    } catch (OrtException | IOException | MalformedModelException | RuntimeException e) {
      if (model != null) {
        model.close();
      }
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

  /** Reads a buffer without copying it first (DJL's stream load copies it once, to a byte[]). */
  private static final class BufferInputStream extends InputStream {
    private final ByteBuffer buf;

    BufferInputStream(ByteBuffer buf) {
      this.buf = buf.duplicate();
    }

    @Override
    public int read() {
      return buf.hasRemaining() ? buf.get() & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (!buf.hasRemaining()) {
        return -1;
      }
      int n = Math.min(len, buf.remaining());
      buf.get(b, off, n);
      return n;
    }

    @Override
    public int available() {
      return buf.remaining();
    }
  }
}
