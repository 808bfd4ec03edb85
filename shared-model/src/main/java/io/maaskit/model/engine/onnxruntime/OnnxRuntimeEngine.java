package io.maaskit.model.engine.onnxruntime;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.maaskit.model.engine.CompiledGraph;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime through DJL, set up once per process and registered as engine {@code onnxruntime}:
 * it runs compiled graphs ({@link #openGraph}) on the CPU, each session with intra-op threads =
 * {@link EngineOptions#threads()} (all vCPUs when 0), one inter-op thread, sequential execution and
 * all graph optimizations.
 *
 * <p>It runs compiled graphs and nothing else ({@link Capability#GRAPHS}): no eager networks, no
 * gradients, no GPU. A package without a graph, training and explanations are for an engine that
 * has those capabilities, picked by the loader; this engine never starts another one. DJL's own
 * "alternative engine" fallback is switched off ({@code ai.djl.onnx.disable_alternative}), so
 * nothing inside DJL starts PyTorch behind our back either.
 */
public final class OnnxRuntimeEngine implements Engine {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeEngine.class);
  private static volatile OnnxRuntimeEngine instance;
  private static final Set<Capability> CAPABILITIES =
      java.util.Collections.unmodifiableSet(EnumSet.of(Capability.GRAPHS));

  private final int threads;
  private final String version;
  private final java.nio.file.Path profileDir;

  private OnnxRuntimeEngine(int threads, String version, java.nio.file.Path profileDir) {
    this.profileDir = profileDir;
    this.threads = threads;
    this.version = version;
  }

  /** The {@code ServiceLoader} registration of engine {@code onnxruntime}. */
  public static final class Provider implements EngineProvider {
    @Override
    public String name() {
      return "onnxruntime";
    }

    /** Compiled graphs, on the CPU. */
    @Override
    public Set<Capability> capabilities() {
      return CAPABILITIES;
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
              "the onnxruntime engine runs on the CPU only; device=gpu needs an engine that"
                  + " computes on a GPU");
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
        instance = new OnnxRuntimeEngine(threads, version, options.profileDir());
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
  public int threads() {
    return threads;
  }

  @Override
  public Set<Capability> capabilities() {
    return CAPABILITIES;
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
      if (profileDir != null) {
        // ORT appends a timestamp and writes the JSON trace when the session closes.
        java.nio.file.Files.createDirectories(profileDir);
        session.enableProfiling(
            profileDir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_")).toString());
      }
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
