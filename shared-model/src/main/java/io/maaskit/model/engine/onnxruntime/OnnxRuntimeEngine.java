package io.maaskit.model.engine.onnxruntime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.maaskit.model.engine.CompiledGraph;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime, set up once per process (its native library through DJL) and registered as engine
 * {@code onnxruntime}: it runs compiled graphs ({@link #openGraph}) on the CPU in ONNX Runtime's
 * own Java sessions (pinned outputs let a decoder's cache be appended in place), each with intra-op
 * threads = {@link EngineOptions#threads()} (all vCPUs when 0), one inter-op thread, sequential
 * execution, all graph optimizations and no memory patterns (shapes vary per request).
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
      Collections.unmodifiableSet(EnumSet.of(Capability.GRAPHS));

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
      if (profileDir != null) {
        // ORT appends a timestamp and writes the JSON trace when the session closes.
        java.nio.file.Files.createDirectories(profileDir);
        session.enableProfiling(
            profileDir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_")).toString());
      }
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
    } catch (OrtException | java.io.IOException | RuntimeException e) {
      session.close();
      throw new IllegalArgumentException(
          "ONNX Runtime cannot load the compiled graph of " + name + ": " + e.getMessage(), e);
    }
  }
}
