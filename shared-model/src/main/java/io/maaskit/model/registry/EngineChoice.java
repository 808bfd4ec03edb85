package io.maaskit.model.registry;

import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.error.NotSupportedException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which engine runs each package, decided per package from {@link EngineOptions#engine()}, the
 * device, what the package lists and which engines this deployable carries:
 *
 * <ul>
 *   <li>{@code pytorch}: every package on PyTorch.
 *   <li>{@code onnxruntime}: every package on ONNX Runtime; a package without a compiled graph
 *       ({@link EncoderGraph#FILE}) cannot load, and the error says how to compile one.
 *   <li>{@code auto}: PyTorch on a GPU; on a CPU, ONNX Runtime when the package lists a graph, else
 *       PyTorch where this deployable carries it, else the same "needs an ONNX graph" error.
 * </ul>
 *
 * Gradients (explanations, training) always run on PyTorch: {@link #forGradients} answers {@link
 * NotSupportedException} in a deployable without it (the Lambda zips, the CPU image). Engines start
 * on first use, so a deployable that only ever serves graphs never loads libtorch.
 *
 * <pre>{@code
 * EngineChoice engines = EngineChoice.start(new EngineOptions("auto", "auto", 0, true));
 * Engine e = engines.forServing(manifest); // onnxruntime for a package with model.onnx, on a CPU
 * }</pre>
 */
public final class EngineChoice {
  private static final Logger LOG = LoggerFactory.getLogger(EngineChoice.class);

  /** The engine name of DJL's PyTorch engine. */
  public static final String PYTORCH = "pytorch";

  /** The engine name of DJL's ONNX Runtime engine. */
  public static final String ONNXRUNTIME = "onnxruntime";

  /** The values {@link EngineOptions#engine()} may take. */
  public static final List<String> NAMES = List.of("auto", ONNXRUNTIME, PYTORCH);

  private final EngineOptions options;
  private final Map<String, Engine.EngineProvider> providers;
  private final boolean gpu;
  private final Engine fixed;
  private final Map<String, Engine> started = new ConcurrentHashMap<>();

  private EngineChoice(
      EngineOptions options, Map<String, Engine.EngineProvider> providers, boolean gpu) {
    this.options = options;
    this.providers = providers;
    this.gpu = gpu;
    this.fixed = null;
  }

  private EngineChoice(Engine fixed) {
    this.options = new EngineOptions(fixed.name(), fixed.device().isGpu() ? "gpu" : "cpu", 0, true);
    this.providers = Map.of();
    this.gpu = fixed.device().isGpu();
    this.fixed = fixed;
  }

  /**
   * The choice for this deployable: the engines it carries (registered providers that are {@link
   * Engine.EngineProvider#available() available}), none started yet.
   *
   * @throws IllegalArgumentException if {@code options} ask for an engine or a device this
   *     deployable cannot provide (an unknown engine name, {@code pytorch} or {@code device=gpu}
   *     without PyTorch)
   */
  public static EngineChoice start(EngineOptions options) {
    Map<String, Engine.EngineProvider> carried = new LinkedHashMap<>();
    for (Engine.EngineProvider p : Engine.providers()) {
      carried.putIfAbsent(p.name(), p);
    }
    String wanted = options.engine();
    if (!NAMES.contains(wanted)) {
      throw new IllegalArgumentException(
          "engine must be one of " + String.join(", ", NAMES) + ", not '" + wanted + "'");
    }
    if (options.device().equals("gpu") && wanted.equals(ONNXRUNTIME)) {
      throw new IllegalArgumentException(
          "engine onnxruntime runs on the CPU only; device=gpu needs engine auto or pytorch");
    }
    if (!wanted.equals("auto") && !carried.containsKey(wanted)) {
      throw new IllegalArgumentException(
          "engine '"
              + wanted
              + "' is not in this deployable (it carries: "
              + carried(carried)
              + ")");
    }
    boolean torch = carried.containsKey(PYTORCH);
    if (options.device().equals("gpu") && !torch) {
      throw new IllegalArgumentException(
          "device=gpu needs the PyTorch engine, which this deployable does not carry (it carries: "
              + carried(carried)
              + ")");
    }
    EngineChoice choice = new EngineChoice(options, carried, false);
    // Only PyTorch computes on a GPU here; without it there is nothing to detect. With
    // device=auto, a CUDA driver is not enough (the carried libtorch may be the CPU build): PyTorch
    // is started, which a GPU machine will use anyway, and asked where it runs.
    boolean gpu =
        !wanted.equals(ONNXRUNTIME)
            && torch
            && (options.device().equals("gpu")
                || (options.device().equals("auto")
                    && ai.djl.util.cuda.CudaUtils.hasCuda()
                    && choice.engine(PYTORCH).device().isGpu()));
    return gpu ? choice.onGpu() : choice;
  }

  private EngineChoice onGpu() {
    EngineChoice c = new EngineChoice(options, providers, true);
    c.started.putAll(started);
    return c;
  }

  /** Every package on one engine, already started (tools, tests, training jobs). */
  public static EngineChoice fixed(Engine engine) {
    return new EngineChoice(engine);
  }

  private static String carried(Map<String, Engine.EngineProvider> carried) {
    return carried.isEmpty() ? "no engine" : String.join(", ", carried.keySet());
  }

  /** The engines this deployable carries, by name. */
  public Set<String> carried() {
    return fixed != null ? Set.of(fixed.name()) : providers.keySet();
  }

  /** Whether serving runs on a GPU (configured, or detected with {@code device=auto}). */
  public boolean gpu() {
    return gpu;
  }

  /** The configured engine: {@code auto}, {@code onnxruntime} or {@code pytorch}. */
  public String setting() {
    return options.engine();
  }

  /**
   * The name of the engine that would serve {@code manifest}'s package, without starting it; null
   * if no carried engine can (see {@link #forServing}).
   */
  public String servingEngine(ModelManifest manifest) {
    if (fixed != null) {
      return fixed.name();
    }
    try {
      requireEagerEngineForGenerators(manifest);
      return pick(options.engine(), gpu, hasGraph(manifest), carried(), manifest.id() + "");
    } catch (ModelUnavailableException | NotSupportedException e) {
      return null;
    }
  }

  /** The engine that serves {@code manifest}'s package, started on first use. */
  public Engine forServing(ModelManifest manifest) {
    if (fixed != null) {
      return fixed;
    }
    requireEagerEngineForGenerators(manifest);
    return engine(pick(options.engine(), gpu, hasGraph(manifest), carried(), manifest.id() + ""));
  }

  /**
   * Decoders have no compiled graph (the ONNX compiler covers encoders and classifiers): they run
   * on PyTorch, so a deployable without it, or one forced onto ONNX Runtime, cannot serve them.
   */
  private void requireEagerEngineForGenerators(ModelManifest manifest) {
    if (!manifest.capabilities().contains(Capability.GENERATOR)) {
      return;
    }
    if (!carried().contains(PYTORCH)) {
      throw new NotSupportedException(
          "model '"
              + manifest.id()
              + "' is a generator; decoders run on the PyTorch engine, which this deployable does"
              + " not carry (the Lambda zips serve on ONNX Runtime only unless built with"
              + " -Dlambda.pytorch=true); generators are served by the local server, the"
              + " containers and PyTorch-built zips");
    }
    if (ONNXRUNTIME.equals(options.engine())) {
      throw new NotSupportedException(
          "model '"
              + manifest.id()
              + "' is a generator, and decoders run on PyTorch only; set MAAS_ENGINE to auto or"
              + " pytorch to serve it");
    }
  }

  /**
   * The engine that computes gradients for {@code manifest}'s package (explanations): PyTorch.
   *
   * @throws NotSupportedException if this deployable does not carry PyTorch
   */
  public Engine forGradients(ModelManifest manifest) {
    requireGradients();
    return fixed != null ? fixed : engine(PYTORCH);
  }

  /** Whether {@link #forGradients} can succeed here. */
  public boolean gradients() {
    return carried().contains(PYTORCH);
  }

  /**
   * Fails unless this deployable computes gradients.
   *
   * @throws NotSupportedException if it does not carry PyTorch
   */
  public void requireGradients() {
    if (!gradients()) {
      throw noGradients();
    }
  }

  /**
   * Whether every package is served on the engine that also computes its gradients (PyTorch), so
   * explanations need no second copy of a model.
   */
  public boolean servesOnGradientEngine() {
    if (fixed != null) {
      return fixed.name().equals(PYTORCH);
    }
    String wanted = options.engine();
    return wanted.equals(PYTORCH)
        || (wanted.equals("auto") && (gpu || !providers.containsKey(ONNXRUNTIME)));
  }

  /**
   * The engine for training and other eager NDArray work: PyTorch.
   *
   * @throws NotSupportedException if this deployable does not carry PyTorch
   */
  public Engine forTraining() {
    if (fixed != null) {
      return fixed;
    }
    if (!providers.containsKey(PYTORCH)) {
      throw new NotSupportedException(
          "training needs the PyTorch engine, which this deployable does not carry");
    }
    return engine(PYTORCH);
  }

  /**
   * Starts the engine most packages will be served on (PyTorch on a GPU, else ONNX Runtime where
   * carried), off the request path; returns it.
   */
  public Engine startDefault() {
    if (fixed != null) {
      return fixed;
    }
    if (providers.isEmpty()) {
      throw new IllegalStateException("this deployable carries no engine");
    }
    String wanted = options.engine();
    String name =
        !wanted.equals("auto")
            ? wanted
            : gpu || !providers.containsKey(ONNXRUNTIME) ? PYTORCH : ONNXRUNTIME;
    return engine(name);
  }

  private Engine engine(String name) {
    Engine.EngineProvider p = providers.get(name);
    if (p == null) {
      throw new IllegalStateException("engine '" + name + "' is not in this deployable");
    }
    return started.computeIfAbsent(
        name,
        n -> {
          // Each provider keeps one process-wide engine; device and threads are this process's.
          Engine e =
              p.start(new EngineOptions(n, options.device(), options.threads(), options.offline()));
          LOG.info("engine {} {} started on {}", e.name(), e.version(), e.device());
          return e;
        });
  }

  /** Whether a package lists the compiled graph ONNX Runtime serves. */
  static boolean hasGraph(ModelManifest manifest) {
    return manifest.files() != null
        && manifest.files().stream().anyMatch(f -> f.path().equals(EncoderGraph.FILE));
  }

  /**
   * The decision itself, free of engines: which engine serves a package.
   *
   * @param wanted {@code auto}, {@code onnxruntime} or {@code pytorch}
   * @param gpu whether serving runs on a GPU
   * @param hasGraph whether the package lists {@link EncoderGraph#FILE}
   * @param carried the engines this deployable carries
   * @param model the package, for messages
   * @throws ModelUnavailableException if no carried engine can serve the package
   */
  static String pick(
      String wanted, boolean gpu, boolean hasGraph, Set<String> carried, String model) {
    boolean ort = carried.contains(ONNXRUNTIME);
    boolean torch = carried.contains(PYTORCH);
    switch (wanted) {
      case PYTORCH -> {
        if (!torch) {
          throw new IllegalStateException("engine pytorch is not in this deployable");
        }
        return PYTORCH;
      }
      case ONNXRUNTIME -> {
        if (!hasGraph) {
          throw needsGraph(
              model,
              "the engine is set to onnxruntime, which runs compiled graphs only; compile one with"
                  + " scripts/compile-onnx and publish the new version, or set the engine to auto");
        }
        return ONNXRUNTIME;
      }
      default -> {
        if (gpu && torch) {
          return PYTORCH;
        }
        if (hasGraph && ort) {
          return ONNXRUNTIME;
        }
        if (torch) {
          return PYTORCH;
        }
        throw needsGraph(
            model,
            "this deployable serves on ONNX Runtime only (no PyTorch); compile one with"
                + " scripts/compile-onnx and publish the new version");
      }
    }
  }

  private static ModelUnavailableException needsGraph(String model, String why) {
    // Retrying does not make a graph appear, but publishing a new version does: the registry's
    // backoff then picks it up without a restart.
    return new ModelUnavailableException(
        "model '" + model + "' has no ONNX graph (" + EncoderGraph.FILE + "): " + why,
        Duration.ofSeconds(60));
  }

  private static NotSupportedException noGradients() {
    return new NotSupportedException(
        "explanations need gradients, which only the PyTorch engine computes, and this deployable"
            + " serves on ONNX Runtime only; explanations run on the local server (scripts/serve)"
            + " and the GPU image");
  }
}
