package io.maaskit.model.engine;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * A tensor engine, set up once per process, described by what it can do: run compiled graphs, run
 * eager networks, compute gradients, compute on a GPU ({@link Capability}). Loader code picks an
 * engine for a package by asking for capabilities, never by comparing names; configuration may
 * still name an engine, mapped to its provider once, in {@link #providers(EngineOptions)}. This
 * interface names no tensor type of any library: engines that run eager networks are {@link
 * EagerEngine}s, and only they (and the eager architectures written on them) speak DJL's NDArrays.
 *
 * <pre>{@code
 * Engine graphs = Engine.start(EngineOptions.defaults(), Engine.Capability.GRAPHS);
 * try (CompiledGraph g = graphs.openGraph(bytes, "minilm")) { ... }
 * }</pre>
 */
public interface Engine {
  /**
   * What an engine can do, after DJL's {@code Engine.hasCapability}. A provider declares them
   * before it starts ({@link EngineProvider#capabilities()}); a started engine keeps those it has
   * on its device.
   */
  enum Capability {
    /** Runs compiled graphs: {@link Engine#openGraph} works. */
    GRAPHS,
    /** Runs eager networks: the engine is an {@link EagerEngine}. */
    EAGER,
    /** Computes gradients: {@link EagerEngine#gradients()} works (training, explanations). */
    GRADIENTS,
    /** Computes on a CUDA device (a provider: it can, given one; a started engine: it does). */
    GPU
  }

  /**
   * Engine name as configuration selects it ({@link EngineOptions#engine()}), e.g. {@code pytorch}.
   */
  String name();

  /** Version of the engine's native library. */
  String version();

  /** Intra-op threads the engine uses. */
  int threads();

  /** What this engine, on its device, can do. */
  Set<Capability> capabilities();

  /** Whether this engine can do {@code c}. */
  default boolean hasCapability(Capability c) {
    return capabilities().contains(c);
  }

  /** Whether this engine computes on a GPU. */
  default boolean gpu() {
    return hasCapability(Capability.GPU);
  }

  /** Whether {@link #openGraph} works; an architecture uses a package's graph only when it does. */
  default boolean runsGraphs() {
    return hasCapability(Capability.GRAPHS);
  }

  /**
   * Opens a compiled graph (an ONNX model, self-contained: weights are initializers).
   *
   * @param graph the file's bytes
   * @param name for messages and logs, e.g. the model id
   * @throws UnsupportedOperationException if this engine does not run {@link Capability#GRAPHS}
   * @throws IllegalArgumentException if the bytes are not a graph the engine can run
   */
  default CompiledGraph openGraph(ByteBuffer graph, String name) {
    throw new UnsupportedOperationException(
        "engine " + name() + " does not run compiled graphs (" + name + ")");
  }

  /** Starts an engine; {@link EngineProvider}s register through {@link ServiceLoader}. */
  interface EngineProvider {
    /** The name {@link EngineOptions#engine()} selects. */
    String name();

    /**
     * What the engine can do once started, on the best device it may find; declared without
     * starting it.
     */
    Set<Capability> capabilities();

    /**
     * Whether this machine has a device for {@link Capability#GPU}, looked up without starting the
     * engine (with {@code device=auto} the loader starts a GPU engine only where this is true).
     */
    default boolean gpuPresent() {
      return false;
    }

    /**
     * Preference among providers that can do the same thing (higher first), as DJL ranks its
     * engines; ties keep {@link ServiceLoader} order.
     */
    default int rank() {
      return 0;
    }

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
   * Starts (or returns) the process-wide engine that {@code options} name, or with {@code auto} the
   * highest-ranked carried engine that has every capability in {@code required}.
   *
   * @throws IllegalArgumentException if no carried engine fits
   */
  static Engine start(EngineOptions options, Capability... required) {
    Set<Capability> need = required.length == 0 ? Set.of() : EnumSet.of(required[0], required);
    List<EngineProvider> fit = new ArrayList<>();
    for (EngineProvider p : providers(options)) {
      if (p.capabilities().containsAll(need)) {
        fit.add(p);
      }
    }
    if (fit.isEmpty()) {
      throw new IllegalArgumentException(
          "no engine in this deployable can do "
              + need
              + (options.engine().equals("auto") ? "" : " as engine '" + options.engine() + "'")
              + " (carried: "
              + describe(providers())
              + ")");
    }
    return fit.get(0).start(options);
  }

  /**
   * The providers registered through {@link ServiceLoader} whose engine this deployable carries,
   * highest {@link EngineProvider#rank() rank} first.
   */
  static List<EngineProvider> providers() {
    List<EngineProvider> out = new ArrayList<>();
    for (EngineProvider p : registered()) {
      if (p.available()) {
        out.add(p);
      }
    }
    out.sort(Comparator.comparingInt(EngineProvider::rank).reversed());
    return out;
  }

  /**
   * The carried providers {@code options} allow: all of them with {@code auto}, else the one they
   * name. This is the one place where a configured engine name meets the providers.
   *
   * @throws IllegalArgumentException if the name is unknown or names an engine this deployable does
   *     not carry
   */
  static List<EngineProvider> providers(EngineOptions options) {
    String wanted = options.engine();
    if (wanted.equals("auto")) {
      return providers();
    }
    if (!names().contains(wanted)) {
      throw new IllegalArgumentException(
          "engine must be one of " + String.join(", ", names()) + ", not '" + wanted + "'");
    }
    for (EngineProvider p : providers()) {
      if (p.name().equals(wanted)) {
        return List.of(p);
      }
    }
    throw new IllegalArgumentException(
        "engine '"
            + wanted
            + "' is not in this deployable (it carries: "
            + describe(providers())
            + ")");
  }

  /** {@code auto} and the name of every registered engine, carried here or not. */
  static List<String> names() {
    Set<String> names = new TreeSet<>();
    for (EngineProvider p : registered()) {
      names.add(p.name());
    }
    List<String> out = new ArrayList<>();
    out.add("auto");
    out.addAll(names);
    return out;
  }

  /** Provider names for messages, e.g. {@code onnxruntime, pytorch}, or {@code no engine}. */
  static String describe(List<EngineProvider> providers) {
    return providers.isEmpty()
        ? "no engine"
        : String.join(", ", providers.stream().map(EngineProvider::name).toList());
  }

  private static Iterable<EngineProvider> registered() {
    return ServiceLoader.load(EngineProvider.class, Engine.class.getClassLoader());
  }
}
