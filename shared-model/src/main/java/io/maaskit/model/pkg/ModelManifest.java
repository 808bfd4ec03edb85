package io.maaskit.model.pkg;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The spec of one model package, read from {@code maas-model.json}. This record is the single
 * boundary where defaults are applied ({@link #parse}); everything downstream receives it complete.
 *
 * <p>Format: see {@code docs/model-package.md}.
 *
 * @param format always {@value #FORMAT}
 * @param name model name (lower-case, {@code [a-z0-9._-]})
 * @param version version label; the store serves the highest version when none is asked for
 * @param task {@code embedding}, {@code classification} or {@code generation}: the package's
 *     primary task, named in listings
 * @param capabilities what the package can do ({@code encoder}, {@code classifier}, ...); when a
 *     manifest omits it, derived from {@code task}
 * @param architecture {@code bert} (the key of a registered {@code Architecture})
 * @param pooling {@code mean} or {@code cls}
 * @param normalize whether embeddings are L2-normalized by default
 * @param maxSequenceLength tokens beyond this are truncated (encoders); for generators the context
 *     length: prompt plus generated tokens
 * @param dtype storage dtype of the weights: {@code float32}, {@code int8}, {@code int4} (a
 *     generator that carries only its MatMulNBits graph), or for imported decoders the checkpoint's
 *     own {@code bfloat16} or {@code float16}
 * @param quantization how the weights were quantized, null for float32
 * @param files every other file of the package with size and SHA-256
 * @param metrics training/evaluation metrics (classification packages), may be empty
 * @param source provenance (importer, original file, base model), may be empty
 */
public record ModelManifest(
    String format,
    String name,
    String version,
    String task,
    List<Capability> capabilities,
    String architecture,
    String pooling,
    Boolean normalize,
    Integer maxSequenceLength,
    String dtype,
    Quantization quantization,
    List<PackageFile> files,
    Map<String, Object> metrics,
    Map<String, Object> source) {

  /** File name of the manifest inside a package. */
  public static final String FILE = "maas-model.json";

  /** Format identifier written into every manifest. */
  public static final String FORMAT = "maaskit-package/1";

  public static final String TASK_EMBEDDING = "embedding";
  public static final String TASK_CLASSIFICATION = "classification";

  /**
   * Reranking (cross-encoders: one relevance logit per query and document, capability {@code
   * reranker}).
   */
  public static final String TASK_RERANKING = "reranking";

  /** Token classification (named entities: capability {@code token-classifier}). */
  public static final String TASK_TOKEN_CLASSIFICATION = "token-classification";

  /** Extractive question answering (capability {@code question-answerer}). */
  public static final String TASK_QUESTION_ANSWERING = "question-answering";

  /** Text generation (decoder packages, capability {@code generator}). */
  public static final String TASK_GENERATION = "generation";

  private static final Set<String> TASKS =
      Set.of(
          TASK_EMBEDDING,
          TASK_CLASSIFICATION,
          TASK_RERANKING,
          TASK_TOKEN_CLASSIFICATION,
          TASK_QUESTION_ANSWERING,
          TASK_GENERATION);
  private static final Set<String> POOLINGS = Set.of("mean", "cls");
  private static final Set<String> DTYPES =
      Set.of("float32", "bfloat16", "float16", "int8", "int4");

  /** Reads and validates a manifest, applying defaults; {@code origin} is named in errors. */
  public static ModelManifest parse(byte[] json, String origin) throws IOException {
    ModelManifest m;
    try {
      m = PackageJson.read(json, ModelManifest.class);
    } catch (IOException e) {
      throw new IOException(origin + ": not a valid model manifest: " + e.getMessage(), e);
    }
    return m.withDefaults(origin);
  }

  private ModelManifest withDefaults(String origin) throws IOException {
    require(name != null, origin, "missing 'name'");
    require(version != null, origin, "missing 'version'");
    new ModelId(name, version);
    String t = task == null ? TASK_EMBEDDING : task;
    require(TASKS.contains(t), origin, "unsupported task '" + t + "', expected one of " + TASKS);
    List<Capability> caps =
        capabilities != null && !capabilities.isEmpty()
            ? List.copyOf(capabilities)
            : t.equals(TASK_CLASSIFICATION)
                ? List.of(Capability.ENCODER, Capability.CLASSIFIER)
                : t.equals(TASK_GENERATION)
                    ? List.of(Capability.GENERATOR)
                    : t.equals(TASK_RERANKING)
                        ? List.of(Capability.RERANKER)
                        : t.equals(TASK_TOKEN_CLASSIFICATION)
                            ? List.of(Capability.TOKEN_CLASSIFIER)
                            : t.equals(TASK_QUESTION_ANSWERING)
                                ? List.of(Capability.QUESTION_ANSWERER)
                                : List.of(Capability.ENCODER);
    require(architecture != null, origin, "missing 'architecture'");
    String p = pooling == null ? "mean" : pooling;
    require(
        POOLINGS.contains(p),
        origin,
        "unsupported pooling '" + p + "', expected one of " + POOLINGS);
    String d = dtype == null ? "float32" : dtype;
    require(DTYPES.contains(d), origin, "unsupported dtype '" + d + "', expected one of " + DTYPES);
    require(
        maxSequenceLength == null || maxSequenceLength > 1,
        origin,
        "maxSequenceLength must be > 1");
    require(files != null && !files.isEmpty(), origin, "missing 'files'");
    for (PackageFile f : files) {
      require(
          f.path() != null && !f.path().contains("..") && !f.path().startsWith("/"),
          origin,
          "bad file path " + f.path());
      require(
          f.sha256() != null && f.sha256().matches("[0-9a-f]{64}"),
          origin,
          "bad sha256 for " + f.path());
      require(f.size() >= 0, origin, "bad size for " + f.path());
    }
    return new ModelManifest(
        format == null ? FORMAT : format,
        name,
        version,
        t,
        caps,
        architecture,
        p,
        normalize == null ? Boolean.TRUE : normalize,
        maxSequenceLength == null ? 512 : maxSequenceLength,
        d,
        quantization,
        List.copyOf(files),
        metrics == null ? Map.of() : metrics,
        source == null ? Map.of() : source);
  }

  private static void require(boolean ok, String origin, String what) throws IOException {
    if (!ok) {
      throw new IOException(origin + ": invalid model manifest: " + what);
    }
  }

  /** Serializes the manifest as pretty JSON. */
  public byte[] toJson() {
    return PackageJson.pretty(this);
  }

  /** The id of this package. */
  public ModelId id() {
    return new ModelId(name, version);
  }

  /** The entry for {@code path}, or null. */
  public PackageFile file(String path) {
    return files.stream().filter(f -> f.path().equals(path)).findFirst().orElse(null);
  }

  /** Total bytes of all files. */
  public long totalBytes() {
    return files.stream().mapToLong(PackageFile::size).sum();
  }

  /** A copy with another file list. */
  public ModelManifest withFiles(List<PackageFile> newFiles) {
    return new ModelManifest(
        format,
        name,
        version,
        task,
        capabilities,
        architecture,
        pooling,
        normalize,
        maxSequenceLength,
        dtype,
        quantization,
        newFiles,
        metrics,
        source);
  }

  /** A copy with another quantization block. */
  public ModelManifest withQuantization(Quantization newQuantization) {
    return new ModelManifest(
        format,
        name,
        version,
        task,
        capabilities,
        architecture,
        pooling,
        normalize,
        maxSequenceLength,
        dtype,
        newQuantization,
        files,
        metrics,
        source);
  }

  /** A copy with another name and version. */
  public ModelManifest withId(String newName, String newVersion) {
    return new ModelManifest(
        format,
        newName,
        newVersion,
        task,
        capabilities,
        architecture,
        pooling,
        normalize,
        maxSequenceLength,
        dtype,
        quantization,
        files,
        metrics,
        source);
  }
}
