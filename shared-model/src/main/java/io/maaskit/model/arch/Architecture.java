package io.maaskit.model.arch;

import io.maaskit.model.engine.Engine;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * One model architecture (the manifest's {@code architecture} key). Implementations register
 * through {@link ServiceLoader}, so a new architecture is a new package plus one line in {@code
 * META-INF/services}, not a new branch elsewhere.
 *
 * <p>An architecture declares the {@link Form forms} a package of it can take ({@link
 * #forms(ModelManifest)}: a compiled graph where the package lists one and the architecture has a
 * graph runtime, an eager network where it carries the weights); the loader picks a form the
 * engines present can run and hands {@link #load} an engine with that form's capability.
 */
public interface Architecture {
  /** The manifest key, e.g. {@code bert}. */
  String name();

  /** Hugging Face {@code config.json} {@code model_type} values this architecture loads. */
  Set<String> huggingFaceModelTypes();

  /** The capabilities this architecture can provide; a manifest may declare a subset. */
  Set<Capability> capabilities();

  /**
   * The forms {@code manifest}'s package can take with this architecture. The default is the eager
   * network alone; architectures with a graph runtime add {@link Form#GRAPH} where the package
   * lists {@link EncoderGraph#FILE}.
   */
  default Set<Form> forms(ModelManifest manifest) {
    return EnumSet.of(Form.EAGER);
  }

  /**
   * Builds a runnable model from verified package files; on failure nothing stays allocated. The
   * engine is one the loader picked for a form of {@link #forms}: an engine that {@link
   * Engine#runsGraphs() runs graphs} means {@link Form#GRAPH}, any other an {@link
   * io.maaskit.model.engine.EagerEngine} and {@link Form#EAGER}.
   */
  LoadedModel load(ModelManifest manifest, PackageFiles files, Engine engine) throws IOException;

  /**
   * A form a model can take, in order of preference: the loader serves the first one an engine
   * present can run.
   */
  enum Form {
    /** A compiled graph the package lists ({@link EncoderGraph#FILE}), run as a whole. */
    GRAPH(Engine.Capability.GRAPHS),
    /** An eager network built from the package's weights, op by op. */
    EAGER(Engine.Capability.EAGER);

    private final Engine.Capability needs;

    Form(Engine.Capability needs) {
      this.needs = needs;
    }

    /** The engine capability that runs this form. */
    public Engine.Capability needs() {
      return needs;
    }

    /**
     * Whether a package in this form reads {@code path}: a graph needs no weights file ({@code
     * *.safetensors} and its shard index), an eager network no graph.
     */
    public boolean reads(String path) {
      boolean weights = path.endsWith(".safetensors") || path.endsWith(".safetensors.index.json");
      return this == GRAPH ? !weights : !path.equals(EncoderGraph.FILE);
    }

    /** {@link #GRAPH} where {@code manifest} lists the compiled graph, plus {@code others}. */
    public static Set<Form> graphIfListed(ModelManifest manifest, Form... others) {
      Set<Form> out = EnumSet.noneOf(Form.class);
      if (manifest.file(EncoderGraph.FILE) != null) {
        out.add(GRAPH);
      }
      out.addAll(java.util.List.of(others));
      return out;
    }
  }

  /**
   * The tensor layout of a package of this architecture (from its config and weights): every tensor
   * the architecture expects, whether or not the weights have it.
   */
  TensorLayout layout(PackageFiles files) throws IOException;

  /**
   * The most tokens a sequence of this package can hold by its config (the position table, less any
   * offset), or empty where the architecture does not say; the importer's default for the
   * manifest's {@code maxSequenceLength}.
   */
  default java.util.OptionalInt contextLength(PackageFiles files) throws IOException {
    return java.util.OptionalInt.empty();
  }

  /** Verified bytes of a package's files. */
  @FunctionalInterface
  interface PackageFiles {
    /** The bytes of {@code path}; throws if the package lacks it. */
    ByteBuffer bytes(String path) throws IOException;
  }

  /** Finds the architecture that loads a Hugging Face {@code model_type}. */
  static Architecture forHuggingFace(String modelType) {
    java.util.List<String> known = new java.util.ArrayList<>();
    for (Architecture a :
        ServiceLoader.load(Architecture.class, Architecture.class.getClassLoader())) {
      if (a.huggingFaceModelTypes().contains(modelType)) {
        return a;
      }
      known.addAll(a.huggingFaceModelTypes());
    }
    throw new IllegalArgumentException(
        "unsupported model_type '" + modelType + "'; supported: " + String.join(", ", known));
  }

  /** Finds the architecture for a manifest key. */
  static Architecture forName(String name) {
    for (Architecture a :
        ServiceLoader.load(Architecture.class, Architecture.class.getClassLoader())) {
      if (a.name().equals(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unsupported architecture '" + name + "'");
  }
}
