package io.maaskit.tools.quant;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TensorLayout;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.arch.huggingface.HfCheckpoint;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.engine.Weights;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.LinearQuantization;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.pkg.Quantization;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.GraphCompiler;
import io.maaskit.tools.onnx.Int8Calibrator;
import io.maaskit.tools.onnx.Int8Plan;
import io.maaskit.tools.onnx.OnnxCompiler;
import io.maaskit.tools.onnx.decoder.LinearPrecision;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Turns a float32 model package into an int8 (generators: int8 or int4) one, or refuses to.
 *
 * <p>What is quantized: every 2-D float32 weight of an encoder layer ({@code
 * encoder.layer.N.*.weight}, stored {@code [out, in]}) symmetric int8 per output channel, and the
 * word, position and token-type embedding tables int8 per row (see {@link SymmetricInt8}). Biases,
 * LayerNorms, the pooler and any classification head stay float32: they are a fraction of a percent
 * of the bytes, and the head is what a fine-tuned package's predictions are most sensitive to. Each
 * int8 tensor {@code W} is written with a float32 {@code W.scale}, which {@link Weights}
 * dequantizes at load, so an int8 package runs on the same code as a float32 one on PyTorch. When
 * the architecture has an ONNX compiler, the int8 package also gets its own graph ({@code
 * model.onnx}: int8 kernels on those same int8 weights and scales) in place of the source's float32
 * one, and the gate measures that graph on ONNX Runtime, the engine that serves it. An encoder
 * whose compiler calibrates ({@link Int8Calibrator}, with {@link
 * CompileOptions.Int8Kernel#CALIBRATED}) gets a kernel per layer (as many layers on the fast
 * dynamic kernel as keep the graph within the gate, the rest blockwise) and is gated against the
 * float32 graph's vectors from calibration; otherwise the reference is the float32 package on the
 * runtime engine.
 *
 * <p>The package is written to a hidden sibling of the output directory; only when the {@link
 * AccuracyGate} passes on the calibration set is it sealed (the gate's figures in the manifest's
 * {@code quantization} block) and moved into place. A rejected or failed run leaves nothing behind.
 * A generator (decoder) package whose architecture has an ONNX compiler becomes an int8 or int4
 * graph package ({@link QuantizeOptions#decoderPrecision()}): its files but the weights, plus the
 * graph compiled from the float32 weights with every linear as {@code MatMulNBits} on block-wise
 * quantized weights ({@link io.maaskit.tools.onnx.decoder.Linears}); it is gated by the {@link
 * GeneratorGate} on that graph, on ONNX Runtime: next-token top-1 agreement and mean KL divergence
 * against float32 on the calibration texts. A generator without a compiler gets int8 safetensors
 * (its linear weights those of the architecture's layout, GPT-2's Conv1D weights, stored {@code
 * (in, out)}, one scale per input row) and the same gate on the eager network.
 *
 * <pre>{@code
 * Quantizer q = new Quantizer(EagerEngine.start(EngineOptions.defaults()));
 * Quantizer.Result r = q.quantize(fp32Dir, int8Dir, QuantizeOptions.defaults(), progress);
 * r.manifest().quantization().minCosine();  // e.g. 0.9987
 * }</pre>
 */
public final class Quantizer {
  /** The scheme name recorded in manifests and safetensors metadata. */
  public static final String SCHEME = "int8-symmetric-per-channel";

  /** {@code quantization.source} of packages this class produces. */
  public static final String SOURCE = "quantize";

  private final Engine runtime;
  private final Engine serving;

  /**
   * A quantizer whose float32 reference runs on {@code runtime} and whose int8 candidate runs on
   * the engine that serves it: ONNX Runtime (the int8 graph) when this process has that engine,
   * else {@code runtime}.
   */
  public Quantizer(Engine runtime) {
    this(runtime, servingEngine(runtime));
  }

  /**
   * A quantizer whose float32 reference runs on {@code reference} and whose int8 candidate runs on
   * {@code serving}, from the package's compiled graph when that engine runs graphs.
   */
  public Quantizer(Engine reference, Engine serving) {
    this.runtime = reference;
    this.serving = serving;
  }

  private static Engine servingEngine(Engine runtime) {
    if (runtime.runsGraphs()) {
      return runtime;
    }
    try {
      return Engine.start(
          new EngineOptions("auto", "cpu", runtime.threads(), true), Engine.Capability.GRAPHS);
    } catch (IllegalArgumentException | IllegalStateException absent) {
      return runtime;
    }
  }

  /** The engine the accuracy gate runs the int8 candidate on. */
  public Engine servingEngine() {
    return serving;
  }

  /**
   * The outcome of a successful run.
   *
   * @param manifest the int8 package's sealed manifest
   * @param gate what the accuracy gate measured on the calibration set (encoders; else null)
   * @param generatorGate what the next-token gate measured (generators; else null)
   * @param sourceBytes total bytes of the float32 package's files
   * @param millis wall time of the whole run
   */
  public record Result(
      ModelManifest manifest,
      AccuracyGate.Result gate,
      GeneratorGate.Result generatorGate,
      long sourceBytes,
      long millis) {
    /** Total bytes of the int8 package's files. */
    public long bytes() {
      return manifest.totalBytes();
    }

    /** int8 bytes / float32 bytes. */
    public double ratio() {
      return (double) bytes() / sourceBytes;
    }
  }

  /**
   * Quantizes the package in {@code sourceDir} into {@code outDir}, which must not exist or be
   * empty.
   *
   * @throws QuantizationRejectedException if some calibration input falls below the threshold
   * @throws InvalidRequestException if the source is not a float32 package
   */
  public Result quantize(Path sourceDir, Path outDir, QuantizeOptions options, Progress progress)
      throws IOException {
    long t0 = System.nanoTime();
    ModelManifest src = ModelPackage.read(sourceDir);
    if (!"float32".equals(src.dtype())) {
      throw new InvalidRequestException(
          "model "
              + src.id()
              + " is already "
              + src.dtype()
              + "; quantize its float32 package instead");
    }
    outDir = outDir.toAbsolutePath().normalize();
    if (Files.exists(outDir) && !isEmptyDirectory(outDir)) {
      throw new IOException(outDir + " already exists and is not empty; refusing to overwrite it");
    }
    Files.createDirectories(outDir.getParent());
    // A sibling, so the final rename is atomic; not createTempDirectory, whose 0700 mode the
    // package would keep.
    Path work =
        Files.createDirectory(
            outDir.resolveSibling("." + outDir.getFileName() + "-quantizing-" + UUID.randomUUID()));
    try {
      String origin = sourceDir.toString();
      boolean generator = src.capabilities().contains(Capability.GENERATOR);
      // A generator with a compiler becomes a graph package: MatMulNBits on weights quantized
      // block-wise from the float32 ones; the package carries no safetensors (the graph is the
      // only form it serves in, on ONNX Runtime).
      boolean graphOnly = generator && OnnxCompiler.supports(src);
      LinearPrecision precision = generator ? options.decoderPrecision() : LinearPrecision.int8();
      if (precision.bits() != 8 && !graphOnly) {
        throw new InvalidRequestException(
            "int"
                + precision.bits()
                + " quantization needs a compiled decoder graph, and architecture '"
                + src.architecture()
                + "' of "
                + src.id()
                + (generator ? " has no ONNX compiler" : " is not a generator")
                + "; quantize to int8 instead");
      }
      // Which tensors are linear weights or embedding tables is the architecture's to say.
      TensorLayout layout =
          graphOnly
              ? null
              : Architecture.forName(src.architecture())
                  .layout(path -> map(sourceDir.resolve(path)));
      int step = 0;
      for (PackageFile f : src.files()) {
        Path in = sourceDir.resolve(f.path());
        ModelPackage.verify(f, in, origin);
        Path out = work.resolve(f.path());
        Files.createDirectories(out.getParent());
        if (f.path().equals(EncoderGraph.FILE)
            || (graphOnly
                && (f.path().endsWith(".safetensors") || f.path().equals(HfCheckpoint.INDEX)))) {
          // the float32 graph or weights; the quantized graph is compiled below
          progress.update("file " + f.path() + " skipped", ++step, src.files().size());
          continue;
        }
        if (f.path().endsWith(".safetensors")) {
          quantizeFile(in, out, layout, options.quantizeEmbeddings(), progress);
        } else {
          Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
        }
        progress.update("file " + f.path() + " written", ++step, src.files().size());
      }

      Map<String, Object> source = new LinkedHashMap<>(src.source());
      source.put("quantizedFrom", src.id().toString());
      String scheme = graphOnly ? precision.scheme() : SCHEME;
      ModelManifest draft =
          new ModelManifest(
              ModelManifest.FORMAT,
              options.name() != null ? options.name() : src.name() + "-" + precision.dtype(),
              options.version() != null ? options.version() : src.version(),
              src.task(),
              src.capabilities(),
              src.architecture(),
              src.pooling(),
              src.normalize(),
              src.maxSequenceLength(),
              precision.dtype(),
              new Quantization(scheme, null, null, null, SOURCE),
              List.of(),
              src.metrics(),
              source);
      Quantization figures;
      AccuracyGate.Result measured = null;
      GeneratorGate.Result generated = null;
      Int8Plan plan = null;
      Map<String, Integer> linearBits = Map.of();
      Int8Calibrator calibrator = generator ? null : calibrator(draft, options);
      if (calibrator != null) {
        // Per layer: the fast dynamic kernel (input smoothed) where the whole graph still passes
        // the gate, the blockwise kernel on the layers where it errs most.
        Calibrated c = calibrated(calibrator, sourceDir, src, work, draft, options, progress);
        plan = c.plan();
        measured = c.gate();
      } else {
        if (graphOnly) {
          // Which linears are int4 and which int8 (or float32) goes into the manifest.
          linearBits =
              OnnxCompiler.writeGraph(
                      sourceDir,
                      work,
                      src,
                      options.graph().withDecoderPrecision(precision),
                      progress)
                  .linearBits();
        } else if (OnnxCompiler.supports(draft)) {
          OnnxCompiler.writeGraph(work, draft, options.graph(), progress);
        }
        ModelManifest unverified = ModelPackage.seal(work, draft);
        // The gate measures the quantized package on the engine that will serve it: its compiled
        // graph where it has one, the eager weights otherwise.
        Engine candidateEngine = graphOnly || OnnxCompiler.supports(draft) ? serving : runtime;

        progress.update(
            "accuracy gate: loading float32 "
                + src.id()
                + " on "
                + runtime.name()
                + " and "
                + precision.dtype()
                + " "
                + unverified.id()
                + " on "
                + candidateEngine.name(),
            -1,
            -1);
        try (LoadedModel reference = load(sourceDir, src, runtime);
            LoadedModel candidate = load(work, unverified, candidateEngine)) {
          if (reference instanceof TextGenerator ref && candidate instanceof TextGenerator cand) {
            generated =
                new GeneratorGate(
                        options.minTop1(), options.maxMeanKl(), GeneratorGate.DEFAULT_MAX_TOKENS)
                    .measure(ref, cand, options.calibration().texts(), progress);
          } else {
            measured =
                new AccuracyGate(options.minCosine())
                    .measure(
                        encoder(reference),
                        encoder(candidate),
                        options.calibration().texts(),
                        progress);
          }
        }
      }
      if (generated != null) {
        if (!generated.passed()) {
          throw new QuantizationRejectedException(
              rejection(src, precision.dtype(), generated, options), generated);
        }
        figures =
            new Quantization(
                scheme,
                null,
                null,
                generated.inputs(),
                SOURCE,
                round(generated.top1Agreement()),
                Math.ceil(generated.meanKl() * 1e6) / 1e6, // ceil: never report less error
                linearEntries(linearBits));
      } else {
        if (!measured.passed()) {
          throw new QuantizationRejectedException(rejection(src, measured, options), measured);
        }
        figures =
            new Quantization(
                SCHEME,
                round(measured.minCosine()),
                round(measured.meanCosine()),
                measured.inputs(),
                SOURCE,
                null,
                null,
                plan == null ? null : plan.manifestEntries());
        if (src.capabilities().contains(Capability.RERANKER)) {
          // A reranker serves scores: how far int8 moves them and their order is measured and
          // recorded. Not enforced yet: the thresholds are not yet set from a trained reranker
          // (on the suite's tiny random cross-encoders, whose scores bunch together, the largest
          // change was 0.015-0.025 and the order agreement 0.91).
          ScoreGate.Result scored = scoreGate(sourceDir, src, work, options, progress);
          figures =
              figures.withScores(
                  Math.ceil(scored.maxError() * 1e6) / 1e6, round(scored.orderAgreement()));
        }
        boolean tagger = src.capabilities().contains(Capability.TOKEN_CLASSIFIER);
        if (tagger || src.capabilities().contains(Capability.QUESTION_ANSWERER)) {
          // A per-token head serves its logits: a token classifier is gated on them (thresholds
          // set from a token classifier the suite trains); a question answerer's are recorded,
          // not enforced (no trained answerer to set thresholds from, and its two columns are
          // start and end scores, whose per-token best column is not what it serves).
          TokenLogitsGate.Result t = tokenGate(sourceDir, src, work, options, progress);
          if (tagger && !t.passed()) {
            throw new QuantizationRejectedException(rejection(src, t, options), t);
          }
          figures = figures.withTokenLogits(round(t.worstCosine()), round(t.agreement()));
        }
      }

      ModelManifest sealed =
          ModelPackage.seal(
              work,
              new ModelManifest(
                  draft.format(),
                  draft.name(),
                  draft.version(),
                  draft.task(),
                  draft.capabilities(),
                  draft.architecture(),
                  draft.pooling(),
                  draft.normalize(),
                  draft.maxSequenceLength(),
                  draft.dtype(),
                  figures,
                  List.of(),
                  draft.metrics(),
                  draft.source()));
      Files.deleteIfExists(outDir);
      Files.move(work, outDir, StandardCopyOption.ATOMIC_MOVE);
      return new Result(
          sealed, measured, generated, src.totalBytes(), (System.nanoTime() - t0) / 1_000_000);
    } finally {
      deleteRecursively(work);
    }
  }

  /**
   * Quantizes the tensors of one weights file per the rules on this class; others pass through
   * unchanged. Keys keep their order; each quantized {@code W} gains a {@code W.scale}.
   */
  public static Map<String, Tensor> quantizeTensors(
      Map<String, Tensor> tensors, TensorLayout layout, boolean embeddings, Progress progress) {
    Map<String, Tensor> out = new TreeMap<>();
    int done = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      String name = e.getKey();
      Tensor t = e.getValue();
      boolean quantize = shouldQuantize(t, layout.role(name), embeddings);
      if (quantize) {
        if (tensors.containsKey(name + Weights.SCALE)) {
          throw new IllegalArgumentException(
              "tensor " + name + " already has a " + name + Weights.SCALE);
        }
        SymmetricInt8.Quantized q = SymmetricInt8.quantizeRows(t);
        out.put(name, q.values());
        out.put(name + Weights.SCALE, q.scale());
      } else {
        out.put(name, t);
      }
      progress.update(
          "tensor " + name + (quantize ? " -> int8" : " (kept " + t.dtype() + ")"),
          ++done,
          tensors.size());
    }
    return out;
  }

  /**
   * Whether a tensor is quantized: a float32 2-D linear weight of the architecture's layout, or an
   * embedding table when {@code embeddings} is set.
   */
  public static boolean shouldQuantize(Tensor t, TensorLayout.Role role, boolean embeddings) {
    if (!"F32".equals(t.dtype()) || t.shape().length != 2) {
      return false;
    }
    return role == TensorLayout.Role.LINEAR_WEIGHT
        || (embeddings && role == TensorLayout.Role.EMBEDDING_TABLE);
  }

  private static ByteBuffer map(Path p) throws IOException {
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.READ)) {
      return ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size());
    }
  }

  private static void quantizeFile(
      Path in, Path out, TensorLayout layout, boolean embeddings, Progress progress)
      throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(in));
    Map<String, String> metadata = new HashMap<>(Safetensors.metadata(bytes));
    Map<String, Tensor> tensors = Safetensors.read(bytes, in.toString());
    metadata.putIfAbsent("format", "pt");
    metadata.put("quantization", SCHEME);
    Safetensors.write(out, quantizeTensors(tensors, layout, embeddings, progress), metadata);
  }

  /** Loads a package directory, verifying every file against its manifest first. */
  private static LoadedModel load(Path dir, ModelManifest manifest, Engine engine)
      throws IOException {
    Map<String, ByteBuffer> read = new HashMap<>();
    String origin = dir.toString();
    return Architecture.forName(manifest.architecture())
        .load(
            manifest,
            path -> {
              ByteBuffer b = read.get(path);
              if (b == null) {
                PackageFile f = manifest.file(path);
                if (f == null) {
                  throw new IOException(
                      "package " + manifest.id() + " in " + dir + " lacks required file " + path);
                }
                // Mapped, not read onto the heap: a 1B float32 reference is 5 GB.
                b = map(dir.resolve(path));
                ModelPackage.verify(f, b, origin);
                read.put(path, b);
              }
              return b.duplicate();
            },
            engine);
  }

  /**
   * The compiler's calibrator when the int8 graph is compiled per layer ({@link
   * CompileOptions.Int8Kernel#CALIBRATED}) for an encoder and the serving engine runs graphs; else
   * null (one kernel for every layer).
   */
  private Int8Calibrator calibrator(ModelManifest draft, QuantizeOptions options) {
    if (options.graph().int8Kernel() != CompileOptions.Int8Kernel.CALIBRATED
        || !serving.runsGraphs()
        || draft.capabilities().contains(Capability.GENERATOR)) {
      return null;
    }
    return GraphCompiler.forArchitecture(draft.architecture()) instanceof Int8Calibrator c
        ? c
        : null;
  }

  private record Calibrated(Int8Plan plan, AccuracyGate.Result gate) {}

  /**
   * Inputs a candidate between the all-dynamic and the all-blockwise graph is measured on first:
   * the ones the all-dynamic graph got worst, where a graph with fewer dynamic layers is expected
   * to fail if it fails at all. A candidate that passes the screen is still gated on every input,
   * so the screen only saves the full pass of candidates it rejects; it can make the search keep
   * fewer dynamic layers, never keep a graph the gate would refuse.
   */
  static final int SCREEN_INPUTS = 32;

  /**
   * Calibrates the layers on the float32 package (one pass for input ranges, which also gives the
   * gate's float32 vectors, one for each kernel's error), then gates int8 graphs: every layer on
   * the dynamic kernel; if that fails, every layer blockwise (if that fails too, it is returned and
   * the gate refuses it); then each layer alone on the dynamic kernel, on the screen inputs, which
   * ranks the layers by what the dynamic kernel costs the whole graph (on all-MiniLM-L6-v2 this
   * ranking differs from the layers' own errors: some layers that err most alone cost the output
   * nothing); then a bisection on how many of the least costly layers run dynamic. Returns the
   * passing graph with the most dynamic layers.
   */
  private Calibrated calibrated(
      Int8Calibrator calibrator,
      Path sourceDir,
      ModelManifest src,
      Path work,
      ModelManifest draft,
      QuantizeOptions options,
      Progress progress)
      throws IOException {
    List<String> texts = options.calibration().texts();
    progress.update("calibration: loading float32 " + src.id() + " on " + runtime.name(), -1, -1);
    Int8Calibrator.Calibration calibration;
    try (LoadedModel reference = load(sourceDir, src, runtime)) {
      calibration =
          calibrator.calibrate(
              src,
              path -> map(sourceDir.resolve(path)),
              encoder(reference),
              serving,
              texts,
              progress);
    }
    Int8Plan measured = calibration.plan();
    List<String> layers = measured.names();
    Candidates candidates =
        new Candidates(calibration.float32(), work, draft, options, texts, progress);
    Calibrated first = candidates.gate(measured, null);
    if (first.gate().passed() || layers.isEmpty()) {
      return first;
    }
    double[] cos = first.gate().cosines();
    List<Integer> screen =
        java.util.stream.IntStream.range(0, cos.length)
            .boxed()
            .sorted(Comparator.comparingDouble(i -> cos[i]))
            .limit(SCREEN_INPUTS)
            .toList();
    Calibrated best = candidates.gate(measured.withDynamic(List.of()), null);
    if (!best.gate().passed()) {
      return best;
    }
    // What each layer alone on the dynamic kernel costs the screen's worst input.
    Map<String, Double> cost = new HashMap<>();
    for (String layer : layers) {
      cost.put(layer, -candidates.screen(measured.withDynamic(List.of(layer)), screen));
    }
    List<String> cheapest = layers.stream().sorted(Comparator.comparingDouble(cost::get)).toList();
    int passing = 0;
    int failing = layers.size();
    while (failing - passing > 1) {
      int mid = (failing + passing) >>> 1;
      Calibrated c = candidates.gate(measured.withDynamic(cheapest.subList(0, mid)), screen);
      if (c != null && c.gate().passed()) {
        passing = mid;
        best = c;
      } else {
        failing = mid;
      }
    }
    candidates.write(best.plan()); // the package holds the graph of the last candidate tried
    return best;
  }

  /** Compiles and gates candidate plans in the staging directory. */
  private final class Candidates {
    private final float[][] expected;
    private final Path work;
    private final ModelManifest draft;
    private final QuantizeOptions options;
    private final List<String> texts;
    private final Progress progress;
    private final AccuracyGate gate;
    private Int8Plan written;

    Candidates(
        float[][] expected,
        Path work,
        ModelManifest draft,
        QuantizeOptions options,
        List<String> texts,
        Progress progress) {
      this.expected = expected;
      this.work = work;
      this.draft = draft;
      this.options = options;
      this.texts = texts;
      this.progress = progress;
      this.gate = new AccuracyGate(options.minCosine());
    }

    /** Writes the plan's smoothing file and graph into the staging directory; returns its seal. */
    ModelManifest write(Int8Plan plan) throws IOException {
      ModelManifest planned =
          draft.withQuantization(
              new Quantization(
                  SCHEME, null, null, null, SOURCE, null, null, plan.manifestEntries()));
      if (plan != written) {
        Files.deleteIfExists(work.resolve(Int8Plan.FILE));
        plan.writeSmoothing(work);
        OnnxCompiler.writeGraph(work, planned, options.graph(), progress);
        written = plan;
      }
      return ModelPackage.seal(work, planned);
    }

    /**
     * The plan's graph gated on every calibration input; with a {@code screen}, on those inputs
     * first, and null when one of them fails.
     */
    Calibrated gate(Int8Plan plan, List<Integer> screen) throws IOException {
      ModelManifest unverified = write(plan);
      AccuracyGate.Result result;
      try (LoadedModel candidate = load(work, unverified, serving)) {
        TextEncoder e = encoder(candidate);
        if (screen != null) {
          AccuracyGate.Result s = measure(e, screen);
          if (!s.passed()) {
            report(plan, s, "screened out on " + screen.size() + " inputs");
            return null;
          }
        }
        result = gate.measure(expected, e, texts, progress);
      }
      report(plan, result, result.passed() ? "passed" : "below " + options.minCosine());
      return new Calibrated(plan, result);
    }

    /** The plan's graph's min cosine on the {@code screen} inputs. */
    double screen(Int8Plan plan, List<Integer> screen) throws IOException {
      ModelManifest unverified = write(plan);
      try (LoadedModel candidate = load(work, unverified, serving)) {
        AccuracyGate.Result s = measure(encoder(candidate), screen);
        report(plan, s, "on the " + screen.size() + " screen inputs");
        return s.minCosine();
      }
    }

    private AccuracyGate.Result measure(TextEncoder e, List<Integer> inputs) {
      return gate.measure(
          inputs.stream().map(i -> expected[i]).toArray(float[][]::new),
          e,
          inputs.stream().map(texts::get).toList(),
          progress);
    }

    private void report(Int8Plan plan, AccuracyGate.Result r, String verdict) {
      progress.update(
          String.format(
              "accuracy gate: %d of %d layers on the dynamic kernel, min cosine %.5f (%s)",
              plan.dynamicLayers(), plan.linears().size(), r.minCosine(), verdict),
          -1,
          -1);
    }
  }

  private static TextEncoder encoder(LoadedModel m) {
    if (m instanceof TextEncoder e) {
      return e;
    }
    m.close();
    throw new InvalidRequestException(
        "the accuracy gate compares embeddings, and model "
            + m.manifest().id()
            + " ("
            + m.manifest().architecture()
            + ") does not produce them");
  }

  /**
   * Runs {@link ScoreGate} on the candidate the staging directory holds (its last sealed manifest),
   * on the engine that serves it, against the float32 package on the reference engine.
   */
  private ScoreGate.Result scoreGate(
      Path sourceDir, ModelManifest src, Path work, QuantizeOptions options, Progress progress)
      throws IOException {
    ModelManifest candidateManifest = ModelPackage.read(work);
    Engine engine = candidateManifest.file(EncoderGraph.FILE) != null ? serving : runtime;
    progress.update("score gate: float32 and int8 scores of query/document pairs", -1, -1);
    try (LoadedModel reference = load(sourceDir, src, runtime);
        LoadedModel candidate = load(work, candidateManifest, engine)) {
      if (!(reference instanceof TextScorer ref) || !(candidate instanceof TextScorer cand)) {
        throw new InvalidRequestException(
            "reranker " + src.id() + " does not load as a scorer; it cannot be gated");
      }
      ScoreGate.Result r =
          ScoreGate.defaults().measure(ref, cand, options.calibration().texts(), progress);
      progress.update(
          String.format(
              "score gate: %d pairs, max score change %.5f, order agreement %.5f",
              r.pairs(), r.maxError(), r.orderAgreement()),
          -1,
          -1);
      return r;
    }
  }

  /**
   * Runs {@link TokenLogitsGate} on the candidate the staging directory holds, on the engine that
   * serves it, against the float32 package on the reference engine.
   */
  private TokenLogitsGate.Result tokenGate(
      Path sourceDir, ModelManifest src, Path work, QuantizeOptions options, Progress progress)
      throws IOException {
    ModelManifest candidateManifest = ModelPackage.read(work);
    Engine engine = candidateManifest.file(EncoderGraph.FILE) != null ? serving : runtime;
    progress.update("token-logits gate: float32 and int8 logits of every token", -1, -1);
    try (LoadedModel reference = load(sourceDir, src, runtime);
        LoadedModel candidate = load(work, candidateManifest, engine)) {
      if (!(reference instanceof TokenLogits ref) || !(candidate instanceof TokenLogits cand)) {
        throw new InvalidRequestException(
            "model " + src.id() + " does not load with its per-token head; it cannot be gated");
      }
      TokenLogitsGate.Result r =
          new TokenLogitsGate(options.minTokenCosine(), options.minTokenAgreement())
              .measure(ref, cand, options.calibration().texts(), progress);
      progress.update(
          String.format(
              "token-logits gate: %d tokens, worst cosine %.5f, label agreement %.5f",
              r.tokens(), r.worstCosine(), r.agreement()),
          -1,
          -1);
      return r;
    }
  }

  private static String rejection(
      ModelManifest src, TokenLogitsGate.Result r, QuantizeOptions options) {
    String worst = shortened(r.worstInput());
    return String.format(
        "int8 quantization of %s rejected by the token-logits gate: on %d tokens of %d calibration"
            + " texts (%s) the worst token's logits have cosine %.5f to float32's (minimum %s) and"
            + " %.5f of the tokens keep float32's label (minimum %s); worst is \"%s\" (mean cosine"
            + " %.5f). No package was written; keep serving the float32 package, or relax the"
            + " thresholds if that is good enough.",
        src.id(),
        r.tokens(),
        r.inputs(),
        options.calibration().name(),
        r.worstCosine(),
        r.minCosine(),
        r.agreement(),
        r.minAgreement(),
        worst,
        r.meanCosine());
  }

  private static String rejection(
      ModelManifest src, AccuracyGate.Result r, QuantizeOptions options) {
    String worst = shortened(r.worstInput());
    return String.format(
        "int8 quantization of %s rejected by the accuracy gate: %d of %d calibration inputs (%s)"
            + " fall below cosine %s to the float32 model; worst is input #%d \"%s\" at %.5f (mean"
            + " %.5f). No package was written; keep serving the float32 package, or accept a lower"
            + " minimum cosine if that is good enough.",
        src.id(),
        r.failures(),
        r.inputs(),
        options.calibration().name(),
        r.threshold(),
        r.worstIndex(),
        worst,
        r.minCosine(),
        r.meanCosine());
  }

  private static String rejection(
      ModelManifest src, String dtype, GeneratorGate.Result r, QuantizeOptions options) {
    String worst = shortened(r.worstInput());
    return String.format(
        "%s quantization of %s rejected by the accuracy gate: on %d positions of %d calibration"
            + " texts (%s) the %s model's next token agrees with float32's at %.4f (minimum %s)"
            + " and the mean KL divergence is %.5f nats (maximum %s); worst is text #%d \"%s\" at"
            + " KL %.5f. No package was written; keep serving the float32 package, or relax the"
            + " thresholds if that is good enough.",
        dtype,
        src.id(),
        r.positions(),
        r.inputs(),
        options.calibration().name(),
        dtype,
        r.top1Agreement(),
        r.minTop1(),
        r.meanKl(),
        r.maxMeanKl(),
        r.worstIndex(),
        worst,
        r.worstKl());
  }

  /** The manifest's per-linear entries of a decoder graph: each matrix's bits; null if none. */
  private static Map<String, LinearQuantization> linearEntries(Map<String, Integer> bits) {
    if (bits.isEmpty()) {
      return null;
    }
    Map<String, LinearQuantization> m = new TreeMap<>();
    bits.forEach((name, b) -> m.put(name, LinearQuantization.blockwise(b)));
    return m;
  }

  /** A calibration text on one line, cut to 80 characters, for a message. */
  private static String shortened(String text) {
    String one = text.replaceAll("\\s+", " ").strip();
    return one.length() > 80 ? one.substring(0, 77) + "..." : one;
  }

  private static double round(double v) {
    return Math.floor(v * 1e6) / 1e6; // floor: never report more accuracy than measured
  }

  private static boolean isEmptyDirectory(Path p) throws IOException {
    if (!Files.isDirectory(p)) {
      return false;
    }
    try (Stream<Path> s = Files.list(p)) {
      return s.findAny().isEmpty();
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }
}
