package io.maaskit.model.registry;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.Architecture.Form;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.Engine.Capability;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.NotSupportedException;
import io.maaskit.model.pkg.ModelManifest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which engine runs each package, and in which {@link Form form}, decided by capability: the forms
 * the package's architecture declares for it ({@link Architecture#forms}), in their order of
 * preference, against what the engines this deployable carries can do ({@link
 * Engine#capabilities()}). No engine is named here; configuration may restrict the candidates to
 * one engine by name ({@link EngineOptions#engine()}), which {@link
 * Engine#providers(EngineOptions)} maps once.
 *
 * <ul>
 *   <li>On a CPU: the first form an engine can run — a compiled graph on an engine that runs {@link
 *       Capability#GRAPHS graphs} where the package lists one, else the eager network on an {@link
 *       Capability#EAGER eager} engine. A package no candidate can run fails with {@link
 *       NotSupportedException} naming what it lacks ("has no ONNX graph ... scripts/compile-onnx").
 *   <li>On a GPU (configured, or detected with {@code device=auto}): the first form an engine that
 *       computes on the {@link Capability#GPU GPU} can run; the CPU candidates only if none can.
 *   <li>Gradients (explanations, training): the eager form on an engine with {@link
 *       Capability#GRADIENTS}; {@link NotSupportedException} in a deployable without one.
 * </ul>
 *
 * Engines start on first use, so a deployable that only ever serves graphs never loads an eager
 * engine's natives.
 *
 * <pre>{@code
 * EngineChoice engines = EngineChoice.start(new EngineOptions("auto", "auto", 0, true));
 * Engine e = engines.forServing(manifest); // runs graphs, for a package with model.onnx on a CPU
 * }</pre>
 */
public final class EngineChoice {
  private static final Logger LOG = LoggerFactory.getLogger(EngineChoice.class);

  private final EngineOptions options;
  private final List<Candidate> candidates;
  private final boolean gpu;

  /**
   * An engine this choice may use: what it can do, and how to start it (once).
   *
   * @param name the engine's name, for messages and for {@link #servingEngine}
   * @param capabilities what it can do once started
   */
  record Candidate(String name, Set<Capability> capabilities, Supplier<Engine> starter) {
    Candidate(String name, Set<Capability> capabilities) {
      this(
          name,
          capabilities,
          () -> {
            throw new IllegalStateException("engine " + name + " cannot start here");
          });
    }

    boolean can(Set<Capability> needed) {
      return capabilities.containsAll(needed);
    }
  }

  /** What the choice decided for a package: an engine and the form it runs. */
  record Pick(Candidate candidate, Form form) {}

  private EngineChoice(EngineOptions options, List<Candidate> candidates, boolean gpu) {
    this.options = options;
    this.candidates = candidates;
    this.gpu = gpu;
  }

  /**
   * The choice for this deployable: the engines it carries (registered providers that are {@link
   * Engine.EngineProvider#available() available}) that {@code options} allow, none started yet
   * (except, with {@code device=auto} where a GPU engine is carried, that engine, to ask where it
   * runs).
   *
   * @throws IllegalArgumentException if {@code options} ask for an engine or a device this
   *     deployable cannot provide (an unknown engine name, an engine it does not carry, {@code
   *     device=gpu} without an engine that computes on a GPU)
   */
  public static EngineChoice start(EngineOptions options) {
    List<Engine.EngineProvider> providers = Engine.providers(options);
    List<Candidate> candidates = new ArrayList<>();
    for (Engine.EngineProvider p : providers) {
      candidates.add(new Candidate(p.name(), p.capabilities(), once(p, options)));
    }
    boolean gpuCarried = candidates.stream().anyMatch(c -> c.can(EnumSet.of(Capability.GPU)));
    if (options.device().equals("gpu") && !gpuCarried) {
      throw new IllegalArgumentException(
          (options.engine().equals("auto")
                  ? "device=gpu needs an engine that computes on a GPU, which this deployable"
                      + " does not carry"
                  : "engine "
                      + options.engine()
                      + " runs on the CPU only here; device=gpu needs"
                      + " an engine that computes on a GPU")
              + " (it carries: "
              + Engine.describe(Engine.providers())
              + ")");
    }
    // With device=auto a GPU engine is started where its provider sees a device, to ask where it
    // runs: a CUDA driver is not enough (the carried build may be CPU-only), and a GPU machine will
    // use that engine anyway. With device=gpu the engine itself refuses at start if it finds none.
    boolean gpu = options.device().equals("gpu");
    if (options.device().equals("auto")) {
      for (int i = 0; i < providers.size() && !gpu; i++) {
        Candidate c = candidates.get(i);
        gpu =
            c.can(EnumSet.of(Capability.GPU))
                && providers.get(i).gpuPresent()
                && c.starter().get().gpu();
      }
    }
    return new EngineChoice(options, List.copyOf(candidates), gpu);
  }

  /** Every package on one engine, already started (tools, tests, training jobs). */
  public static EngineChoice fixed(Engine engine) {
    return new EngineChoice(
        new EngineOptions(engine.name(), engine.gpu() ? "gpu" : "cpu", 0, true),
        List.of(new Candidate(engine.name(), engine.capabilities(), () -> engine)),
        engine.gpu());
  }

  private static Supplier<Engine> once(Engine.EngineProvider p, EngineOptions options) {
    AtomicReference<Engine> started = new AtomicReference<>();
    return () -> {
      Engine e = started.get();
      if (e != null) {
        return e;
      }
      synchronized (started) {
        if (started.get() == null) {
          // Each provider keeps one process-wide engine; device and threads are this process's.
          Engine s =
              p.start(
                  new EngineOptions(
                      p.name(), options.device(), options.threads(), options.offline()));
          LOG.info(
              "engine {} {} started ({}, capabilities {})",
              s.name(),
              s.version(),
              s.gpu() ? "gpu" : "cpu",
              s.capabilities());
          started.set(s);
        }
        return started.get();
      }
    };
  }

  /** The engines this choice may use, by name. */
  public Set<String> carried() {
    Set<String> out = new LinkedHashSet<>();
    candidates.forEach(c -> out.add(c.name()));
    return out;
  }

  /** Whether serving runs on a GPU (configured, or detected with {@code device=auto}). */
  public boolean gpu() {
    return gpu;
  }

  /** The configured engine: {@code auto} or an engine's name. */
  public String setting() {
    return options.engine();
  }

  /**
   * The name of the engine that would serve {@code manifest}'s package, without starting it; null
   * if no engine here can (see {@link #forServing}).
   */
  public String servingEngine(ModelManifest manifest) {
    try {
      return pick(manifest, false).candidate().name();
    } catch (NotSupportedException | IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * The form {@code manifest}'s package loads in: served, or on the engine that computes gradients.
   *
   * @throws NotSupportedException if no engine here can run any of its forms
   */
  public Form form(ModelManifest manifest, boolean gradients) {
    return pick(manifest, gradients).form();
  }

  /**
   * The engine that serves {@code manifest}'s package, started on first use.
   *
   * @throws NotSupportedException if no engine here can run any form of the package
   */
  public Engine forServing(ModelManifest manifest) {
    return pick(manifest, false).candidate().starter().get();
  }

  /**
   * The engine that computes gradients for {@code manifest}'s package (explanations).
   *
   * @throws NotSupportedException if this deployable has no such engine
   */
  public Engine forGradients(ModelManifest manifest) {
    requireGradients();
    return pick(manifest, true).candidate().starter().get();
  }

  /** Whether {@link #forGradients} can succeed here. */
  public boolean gradients() {
    return candidates.stream().anyMatch(c -> c.can(GRADIENTS));
  }

  /**
   * Fails unless this deployable computes gradients.
   *
   * @throws NotSupportedException if no carried engine does
   */
  public void requireGradients() {
    if (!gradients()) {
      throw new NotSupportedException(
          "explanations need gradients, and no engine this deployable carries computes them (it"
              + " carries: "
              + String.join(", ", carried())
              + "); explanations run on the local server (scripts/serve) and the GPU image, which"
              + " carry PyTorch");
    }
  }

  /**
   * Whether every package is served on an engine that also computes its gradients, so explanations
   * need no second copy of a model: no serving candidate lacks gradients.
   */
  public boolean servesOnGradientEngine() {
    List<Candidate> serving = gpu ? onGpu(candidates) : candidates;
    return !serving.isEmpty() && serving.stream().allMatch(c -> c.can(GRADIENTS));
  }

  /**
   * The engine for training and other eager work with gradients.
   *
   * @throws NotSupportedException if this deployable does not carry one
   */
  public EagerEngine forTraining() {
    for (List<Candidate> cs : gpu ? List.of(onGpu(candidates), candidates) : List.of(candidates)) {
      for (Candidate c : cs) {
        if (c.can(EnumSet.of(Capability.EAGER, Capability.GRADIENTS))) {
          return EagerEngine.of(c.starter().get());
        }
      }
    }
    throw new NotSupportedException(
        "training needs an engine that runs eager networks and computes gradients, which this"
            + " deployable does not carry (it carries: "
            + String.join(", ", carried())
            + ")");
  }

  /**
   * Starts the engine most packages will be served on (the first GPU engine on a GPU, else the
   * first that runs graphs, else the first carried), off the request path; returns it.
   */
  public Engine startDefault() {
    if (candidates.isEmpty()) {
      throw new IllegalStateException("this deployable carries no engine");
    }
    List<Candidate> serving = gpu ? onGpu(candidates) : candidates;
    for (Form f : Form.values()) {
      for (Candidate c : serving) {
        if (c.can(EnumSet.of(f.needs()))) {
          return c.starter().get();
        }
      }
    }
    return serving.get(0).starter().get();
  }

  private static final Set<Capability> GRADIENTS =
      EnumSet.of(Capability.EAGER, Capability.GRADIENTS);

  private static List<Candidate> onGpu(List<Candidate> cs) {
    return cs.stream().filter(c -> c.can(EnumSet.of(Capability.GPU))).toList();
  }

  private Pick pick(ModelManifest manifest, boolean gradients) {
    Set<Form> forms = Architecture.forName(manifest.architecture()).forms(manifest);
    try {
      return pick(forms, candidates, gpu, gradients, manifest.id() + "");
    } catch (NotSupportedException e) {
      if (options.engine().equals("auto")) {
        throw e;
      }
      throw new NotSupportedException(
          e.getMessage() + ", or set the engine to auto (it is set to " + options.engine() + ")");
    }
  }

  /**
   * The decision itself, free of started engines: the first form (in {@link Form} order) of {@code
   * forms} that a candidate can run, preferring candidates that compute on the GPU when {@code
   * gpu}.
   *
   * @param forms the forms the package can take
   * @param candidates the engines, in order of preference
   * @param gpu whether serving runs on a GPU
   * @param gradients whether the model must compute gradients (eager form, {@link
   *     Capability#GRADIENTS})
   * @param model the package, for messages
   * @throws NotSupportedException if no candidate can run any form; the message says what the
   *     package lacks and how to get it
   */
  static Pick pick(
      Set<Form> forms, List<Candidate> candidates, boolean gpu, boolean gradients, String model) {
    List<List<Candidate>> passes =
        gpu ? List.of(onGpu(candidates), candidates) : List.of(candidates);
    for (List<Candidate> pass : passes) {
      for (Form f : Form.values()) {
        if (!forms.contains(f) || (gradients && f != Form.EAGER)) {
          continue;
        }
        Set<Capability> needed = gradients ? GRADIENTS : EnumSet.of(f.needs());
        for (Candidate c : pass) {
          if (c.can(needed)) {
            return new Pick(c, f);
          }
        }
      }
    }
    throw cannotRun(forms, candidates, gradients, model);
  }

  private static NotSupportedException cannotRun(
      Set<Form> forms, List<Candidate> candidates, boolean gradients, String model) {
    String carried =
        candidates.isEmpty()
            ? "no engine"
            : String.join(", ", candidates.stream().map(Candidate::name).toList());
    boolean graphs = candidates.stream().anyMatch(c -> c.can(EnumSet.of(Capability.GRAPHS)));
    if (!gradients && graphs && !forms.contains(Form.GRAPH)) {
      return new NotSupportedException(
          "model '"
              + model
              + "' has no ONNX graph ("
              + EncoderGraph.FILE
              + "), and the engines here ("
              + carried
              + ") run compiled graphs only; compile one with scripts/compile-onnx and publish the"
              + " new version");
    }
    if (!forms.contains(Form.EAGER)) {
      return new NotSupportedException(
          "model '"
              + model
              + "' carries no weights for an eager network (a compiled graph only), which "
              + (gradients ? "gradients need" : "the engines here (" + carried + ") need")
              + "; publish a version with its safetensors");
    }
    return new NotSupportedException(
        "model '"
            + model
            + "' can take the forms "
            + forms
            + ", and no engine here ("
            + carried
            + ") runs any of them"
            + (gradients ? " with gradients" : ""));
  }
}
