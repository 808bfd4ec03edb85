package io.maaskit.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.TokenLogits;
import io.maaskit.model.arch.TrainableEncoder;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.Progress;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.EmbeddingService;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Fine-tunes a text classifier on top of an encoder package and publishes it as a new
 * classification package: the encoder's weights plus a Hugging Face {@code classifier} head, {@code
 * id2label} in config.json, and the hyper-parameters, per-epoch history, validation and (optional)
 * held-out evaluation numbers in the manifest's {@code metrics}.
 *
 * <p>With a frozen encoder (the default) every text is embedded once in inference mode and only the
 * linear head trains, on standardized features whose scaling is folded back into the head, so the
 * package computes exactly {@code classifier(pool(encoder(text)))}. With {@code unfreezeLayers = n
 * > 0} the layers below the top {@code n} run once, in inference mode, and their outputs are kept
 * in memory (about 1.5 KB per token for a 384-wide model); the head is first trained on the
 * resulting features, then the top {@code n} layers and the head train together on the cached
 * states through PyTorch autograd (linear probe, then fine-tune). The second stage's weights are
 * kept only if they lower the validation loss.
 *
 * <pre>{@code
 * TrainingJob job = new TrainingJob(store, EagerEngine.start(EngineOptions.defaults()), DatasetSource.local());
 * TrainingRequest req = TrainingRequest.of("all-minilm-l6-v2", "train.jsonl", "minilm-spam");
 * job.estimate(req).requireWithin(Duration.ofMinutes(14));     // refuse what cannot finish
 * TrainingResult r = job.run(req, TrainingProgress.NONE);       // publishes minilm-spam@<next>
 * }</pre>
 *
 * <p>Jobs in one process run one at a time: PyTorch's gradient recording is per process in DJL.
 */
public final class TrainingJob {
  private static final ReentrantLock ONE_AT_A_TIME = new ReentrantLock();

  /** Texts per embedding call while preparing features: progress granularity. */
  static final int EMBED_CHUNK = 64;

  /** Texts per pass when caching frozen layers' outputs. */
  static final int CACHE_CHUNK = 32;

  /** Examples tokenized to estimate the mean length. */
  static final int ESTIMATE_SAMPLE = 256;

  private final ModelStore store;
  private final EagerEngine runtime;
  private final DatasetSource datasets;

  /**
   * @param store where the base model is read and the new package is published
   * @param runtime the tensor runtime; one that cannot compute gradients (an engine that runs
   *     compiled graphs only) is replaced by the process's eager engine that can
   * @param datasets reads the request's {@code data} and {@code evalData}
   */
  public TrainingJob(ModelStore store, Engine runtime, DatasetSource datasets) {
    this.store = store;
    this.runtime =
        runtime.hasCapability(Engine.Capability.EAGER)
                && runtime.hasCapability(Engine.Capability.GRADIENTS)
            ? EagerEngine.of(runtime)
            : EagerEngine.start(new EngineOptions("auto", "auto", runtime.threads(), true));
    this.datasets = datasets;
  }

  /**
   * Estimates the job's duration without training: reads and validates the data, loads the base
   * model, measures the mean token count on a sample and the encoder's throughput on this machine.
   *
   * @throws InvalidRequestException for bad data or hyper-parameters, as {@link #run} would
   */
  public Estimate estimate(TrainingRequest request) throws IOException {
    if (TaggedDataset.isTagged(datasets, request.data())) {
      return estimateTagged(request);
    }
    Inputs in = inputs(request);
    Path work = Files.createTempDirectory("maas-estimate-");
    long t0 = System.nanoTime();
    try (TrainableEncoder base = loadBase(in, work)) {
      double loadSeconds = (System.nanoTime() - t0) / 1e9;
      Hyperparameters hp = in.hp;
      List<String> sample = sample(in.train.texts(), ESTIMATE_SAMPLE, hp.seed());
      double meanTokens =
          sample.stream().mapToInt(t -> base.tokenize(t).length()).average().orElse(1);
      double evalMeanTokens =
          in.eval == null
              ? 0
              : sample(in.eval.texts(), ESTIMATE_SAMPLE, hp.seed()).stream()
                  .mapToInt(t -> base.tokenize(t).length())
                  .average()
                  .orElse(1);
      double tps = measureThroughput(base, sample);
      int n = in.train.size();
      int layers = base.layers();
      double corpusSeconds = n * meanTokens / tps;
      // Frozen encoder: one inference pass, then a head step on cached features costs well under
      // 5 ms even on 2 vCPUs. Unfrozen top layers: the same pass (layers below cached, top layers
      // run
      // once for the head's features), then per encoder epoch forward + backward (about three
      // forwards) through the top layers on the training split and a forward on the validation
      // split.
      double embed = corpusSeconds;
      double train = hp.epochs() * Math.ceil(n / (double) hp.batchSize()) * 0.005;
      if (!hp.frozenEncoder()) {
        double top = (double) hp.unfreezeLayers() / layers;
        double vf = hp.validationFraction();
        train += hp.encoderEpochs() * corpusSeconds * top * (3 * (1 - vf) + vf);
      }
      double eval = in.eval == null ? 0 : in.eval.size() * evalMeanTokens / tps;
      double load = loadSeconds * (in.eval == null ? 1 : 2);
      return new Estimate(
          n,
          in.eval == null ? 0 : in.eval.size(),
          meanTokens,
          tps,
          load,
          embed,
          train,
          eval,
          load + embed + train + eval);
    } finally {
      deleteRecursively(work);
    }
  }

  /**
   * Trains, evaluates (when the request has evaluation data) and publishes the new package.
   *
   * @throws InvalidRequestException for bad hyper-parameters, an empty or single-label dataset, a
   *     base model that is not a BERT encoder, or an evaluation label the training data lacks
   * @throws DatasetFormatException naming the line of a malformed dataset line
   * @throws ModelNotFoundException if the base model is not in the store
   */
  public TrainingResult run(TrainingRequest request, TrainingProgress progress) throws IOException {
    ONE_AT_A_TIME.lock();
    try {
      return TaggedDataset.isTagged(datasets, request.data())
          ? runTagged(request, progress)
          : runLocked(request, progress);
    } finally {
      ONE_AT_A_TIME.unlock();
    }
  }

  private TrainingResult runLocked(TrainingRequest request, TrainingProgress progress)
      throws IOException {
    long tStart = System.nanoTime();
    Inputs in = inputs(request);
    Hyperparameters hp = in.hp;
    LabelledDataset.Split split = in.train.split(hp.validationFraction(), hp.seed());
    List<String> labels = in.train.labels();
    // A reranker's pairs train a two-way head (0, 1) whose logit difference becomes the one
    // relevance logit it is written with: softmax over two logits is the sigmoid of their
    // difference, so the cross-entropy trained is the binary one of that logit.
    boolean reranker = in.train.pairs();
    int[] yTrain = split.train().labelIds(labels);
    int[] yVal = split.validation().labelIds(labels);
    float[] classWeights =
        ClassifierTrainer.classWeights(yTrain, labels.size(), hp.classWeighting());
    progress.phase(
        String.format(
            "%d examples %s: %d train, %d validation (stratified, seed %d)",
            in.train.size(), in.train.counts(), yTrain.length, yVal.length, hp.seed()),
        0,
        -1);

    Path work = Files.createTempDirectory("maas-train-");
    try {
      double embedSeconds;
      double trainSeconds;
      ClassifierTrainer.Outcome outcome;
      List<EpochStats> history = new ArrayList<>();
      String keptStage = "head";
      Map<String, Tensor> trained = new LinkedHashMap<>();
      String version;
      Path stageRoot;
      Path dir;
      TrainableEncoder base = loadBase(in, work);
      try {
        try (NDManager manager = runtime.newManager()) {
          checkUnfreeze(in, base);
          int hidden = base.dimension();
          Map<String, NDArray> head = initialHead(manager, labels.size(), hidden, hp.seed());

          long t1 = System.nanoTime();
          float[] mean = new float[hidden];
          float[] std = new float[hidden];
          float[][] trainF;
          float[][] valF;
          Cached trainC = null;
          Cached valC = null;
          int frozenLayers = base.layers() - hp.unfreezeLayers();
          if (hp.frozenEncoder()) {
            trainF =
                embed(
                    base, split.train(), "embedding training split", progress, 0, in.train.size());
            valF =
                embed(
                    base,
                    split.validation(),
                    "embedding validation split",
                    progress,
                    trainF.length,
                    in.train.size());
          } else {
            // Layers below the unfrozen ones never change: run them once and keep their outputs.
            trainC =
                cacheLower(
                    base,
                    split.train(),
                    frozenLayers,
                    manager,
                    "running frozen layers on training split",
                    progress,
                    0,
                    in.train.size());
            valC =
                cacheLower(
                    base,
                    split.validation(),
                    frozenLayers,
                    manager,
                    "running frozen layers on validation split",
                    progress,
                    trainC.size(),
                    in.train.size());
            trainF = pooled(base, trainC, frozenLayers, manager);
            valF = pooled(base, valC, frozenLayers, manager);
          }
          standardization(trainF, mean, std);
          ClassifierTrainer.Net probe =
              new FeatureNet(
                  standardize(trainF, mean, std),
                  standardize(valF, mean, std),
                  hidden,
                  head,
                  runtime.gradients());
          long t2 = System.nanoTime();
          embedSeconds = (t2 - t1) / 1e9;
          outcome =
              ClassifierTrainer.train(
                  probe,
                  "head",
                  hp.epochs(),
                  hp.learningRate(),
                  hp.encoderLearningRate(),
                  yTrain,
                  yVal,
                  classWeights,
                  hp,
                  manager,
                  progress);
          history.addAll(outcome.history());
          Map<String, NDArray> tunedEncoder = Map.of();
          if (!hp.frozenEncoder()) {
            // Then the top layers and the head together, starting from the trained head (linear
            // probe,
            // then fine-tune: the encoder is not pulled around by a random head).
            Map<String, NDArray> head2 = new LinkedHashMap<>();
            NDArray w2 =
                manager.create(
                    outcome.bestParameters().get("classifier.weight"),
                    new Shape(labels.size(), hidden));
            NDArray b2 = manager.create(outcome.bestParameters().get("classifier.bias"));
            w2.setRequiresGradient(true);
            b2.setRequiresGradient(true);
            head2.put("classifier.weight", w2);
            head2.put("classifier.bias", b2);
            Map<String, NDArray> enc = base.lastLayerParameters(hp.unfreezeLayers());
            enc.values().forEach(p -> p.setRequiresGradient(true));
            ClassifierTrainer.Net tune =
                new CachedEncoderNet(
                    base,
                    trainC,
                    valC,
                    frozenLayers,
                    head2,
                    enc,
                    manager.create(mean),
                    manager.create(std));
            ClassifierTrainer.Outcome second =
                ClassifierTrainer.train(
                    tune,
                    "encoder",
                    hp.encoderEpochs(),
                    hp.encoderLearningRate(),
                    hp.encoderLearningRate(),
                    yTrain,
                    yVal,
                    classWeights,
                    hp,
                    manager,
                    progress);
            history.addAll(second.history());
            keptStage = "head";
            if (second.validationLoss() < outcome.validationLoss()) {
              outcome = second;
              tunedEncoder = enc;
              keptStage = "encoder";
            }
          }
          trainSeconds = (System.nanoTime() - t2) / 1e9;

          trained.putAll(foldedHead(outcome, mean, std, labels.size()));
          for (Map.Entry<String, NDArray> e : tunedEncoder.entrySet()) {
            trained.put(
                e.getKey(),
                Tensor.ofFloats(
                    outcome.bestParameters().get(e.getKey()), e.getValue().getShape().getShape()));
          }
        } finally {
          runtime.prepareThread();
        }

        // Stage the package as <work>/pkg/<name>/<version>/ so it can be loaded back for
        // evaluation.
        version = nextVersion(request.name());
        stageRoot = work.resolve("pkg");
        dir = stageRoot.resolve(request.name()).resolve(version);
        Files.createDirectories(dir);
        progress.phase("writing " + request.name() + "@" + version, 0, -1);
        if (reranker) {
          trained = relevanceHead(trained, labels.indexOf("1"), hidden(trained));
        }
        base.writeClassifierFiles(
            path -> bytes(in.base, path), reranker ? List.of("LABEL_0") : labels, trained, dir);
      } finally {
        base.close();
      }
      Map<String, Object> metrics =
          metrics(in, split, outcome, history, keptStage, labels, embedSeconds, trainSeconds);
      ModelManifest draft = draft(in, request, version, metrics, reranker);
      for (PackageCompiler c : PackageCompiler.registered()) {
        c.compile(dir, draft, (what, done, total) -> progress.phase(what, done, total));
      }
      ModelManifest sealed = ModelPackage.seal(dir, draft);

      Evaluation evaluation = null;
      double evalSeconds = 0;
      if (in.eval != null) {
        long t3 = System.nanoTime();
        LocalModelStore staged = new LocalModelStore(stageRoot);
        PackageLoader loader =
            new PackageLoader(
                staged, new PackageCache(work.resolve("cache"), 0), LoadMode.MEMORY, runtime);
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("data", request.evalData());
        try (LoadedModel m = loader.load(sealed).model()) {
          if (reranker) {
            ev.putAll(RerankEvaluation.run((TextScorer) m, in.eval, "1").toMap());
          } else {
            evaluation = Evaluation.run((TextClassifier) m, in.eval, progress);
            ev.putAll(evaluation.toMap(in.positiveLabel));
          }
        }
        evalSeconds = (System.nanoTime() - t3) / 1e9;
        ev.put("seconds", round(evalSeconds));
        metrics.put("evaluation", ev);
        @SuppressWarnings("unchecked")
        Map<String, Object> timing = (Map<String, Object>) metrics.get("timing");
        timing.put("evalSeconds", round(evalSeconds));
        sealed = ModelPackage.seal(dir, draft(in, request, version, metrics, reranker));
      }
      progress.phase("publishing " + sealed.id() + " to " + store.uri(), 0, -1);
      store.publish(dir, false, Progress.NONE);
      double total = (System.nanoTime() - tStart) / 1e9;
      return new TrainingResult(
          sealed,
          store.uri(),
          List.copyOf(history),
          evaluation,
          embedSeconds,
          trainSeconds,
          evalSeconds,
          total);
    } finally {
      deleteRecursively(work);
    }
  }

  /** The head the trainer starts from: weights N(0, 0.02) seeded by {@code seed + 2}, bias 0. */
  private static Map<String, NDArray> initialHead(
      NDManager manager, int labels, int hidden, long seed) {
    Random init = new Random(seed + 2);
    float[] w0 = new float[labels * hidden];
    for (int i = 0; i < w0.length; i++) {
      w0[i] = (float) (init.nextGaussian() * 0.02);
    }
    NDArray weight = manager.create(w0, new Shape(labels, hidden));
    NDArray bias = manager.zeros(new Shape(labels), DataType.FLOAT32);
    weight.setRequiresGradient(true);
    bias.setRequiresGradient(true);
    Map<String, NDArray> head = new LinkedHashMap<>();
    head.put(TrainableEncoder.HEAD_WEIGHT, weight);
    head.put(TrainableEncoder.HEAD_BIAS, bias);
    return head;
  }

  /**
   * The best head with the standardization folded in, W' = W / std, b' = b - W' · mean, so the
   * package applies it to the encoder's raw features.
   */
  private static Map<String, Tensor> foldedHead(
      ClassifierTrainer.Outcome outcome, float[] mean, float[] std, int labels) {
    int hidden = mean.length;
    float[] w = outcome.bestParameters().get(TrainableEncoder.HEAD_WEIGHT);
    float[] b = outcome.bestParameters().get(TrainableEncoder.HEAD_BIAS).clone();
    for (int c = 0; c < labels; c++) {
      double shift = 0;
      for (int j = 0; j < hidden; j++) {
        w[c * hidden + j] /= std[j];
        shift += (double) w[c * hidden + j] * mean[j];
      }
      b[c] -= (float) shift;
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    out.put(TrainableEncoder.HEAD_WEIGHT, Tensor.ofFloats(w, labels, hidden));
    out.put(TrainableEncoder.HEAD_BIAS, Tensor.ofFloats(b, labels));
    return out;
  }

  // ------------------------------------------------------------------ token classification

  /** Tagged training data, its optional held-out set and the base, validated. */
  private record TaggedInputs(Inputs common, TaggedDataset train, TaggedDataset eval) {}

  private TaggedInputs taggedInputs(TrainingRequest request) throws IOException {
    TaggedDataset train = TaggedDataset.read(datasets, request.data()).requireTrainable();
    TaggedDataset eval = null;
    if (request.evalData() != null) {
      eval = TaggedDataset.read(datasets, request.evalData());
      if (eval.size() == 0) {
        throw new InvalidRequestException(
            "evaluation dataset " + request.evalData() + " has no sentences");
      }
      List<String> unknown =
          eval.labels().stream().filter(l -> !train.labels().contains(l)).toList();
      if (!unknown.isEmpty()) {
        throw new InvalidRequestException(
            "evaluation dataset "
                + request.evalData()
                + " has tags "
                + unknown
                + " that the training data "
                + request.data()
                + " lacks (it has "
                + train.labels()
                + ")");
      }
    }
    if (request.positiveLabel() != null) {
      throw new InvalidFieldException(
          "positiveLabel",
          "applies to text classifiers; a token classifier reports F1 per entity type");
    }
    Hyperparameters hp = request.hyperparameters();
    if (hp.unfreezeLayers() > 0) {
      throw new InvalidFieldException(
          "unfreezeLayers",
          "is "
              + hp.unfreezeLayers()
              + ", but a token classifier trains on a frozen encoder (set it to 0)");
    }
    ModelManifest base = baseManifest(request);
    hp = hp.withMaxLength(Math.min(hp.maxLength(), base.maxSequenceLength()));
    return new TaggedInputs(new Inputs(request, hp, null, null, base, null), train, eval);
  }

  private Estimate estimateTagged(TrainingRequest request) throws IOException {
    TaggedInputs in = taggedInputs(request);
    Path work = Files.createTempDirectory("maas-estimate-");
    long t0 = System.nanoTime();
    try (TrainableEncoder base = loadBase(in.common(), work)) {
      double loadSeconds = (System.nanoTime() - t0) / 1e9;
      Hyperparameters hp = in.common().hp();
      List<String> texts =
          in.train().sentences().stream().map(TaggedDataset.Sentence::text).toList();
      List<String> sample = sample(texts, ESTIMATE_SAMPLE, hp.seed());
      double meanTokens =
          sample.stream().mapToInt(t -> base.tokenize(t).length()).average().orElse(1);
      double tps = measureThroughput(base, sample);
      int n = in.train().size();
      long words = in.train().sentences().stream().mapToLong(s -> s.tokens().size()).sum();
      double embed = n * meanTokens / tps;
      // A head step on cached word features costs well under 5 ms even on 2 vCPUs.
      double train = hp.epochs() * Math.ceil(words / (double) hp.batchSize()) * 0.005;
      int evalN = in.eval() == null ? 0 : in.eval().size();
      double eval = evalN * meanTokens / tps;
      double load = loadSeconds * (in.eval() == null ? 1 : 2);
      return new Estimate(
          n, evalN, meanTokens, tps, load, embed, train, eval, load + embed + train + eval);
    } finally {
      deleteRecursively(work);
    }
  }

  /**
   * Trains a token classifier: every word's first token's final hidden state (the frozen encoder
   * runs once) is a training row labelled with the word's tag, as Hugging Face's token
   * classification recipe labels only a word's first token; the linear head trains on those rows
   * with the same loop, schedule and early stopping as a text classifier (validation split by
   * sentence), and is written as the family's {@code *ForTokenClassification}.
   */
  private TrainingResult runTagged(TrainingRequest request, TrainingProgress progress)
      throws IOException {
    long tStart = System.nanoTime();
    TaggedInputs tin = taggedInputs(request);
    Inputs in = tin.common();
    Hyperparameters hp = in.hp();
    TaggedDataset.Split split = tin.train().split(hp.validationFraction(), hp.seed());
    List<String> labels = tin.train().labels();
    progress.phase(
        String.format(
            "%d sentences %s: %d train, %d validation (seed %d)",
            tin.train().size(),
            tin.train().counts(),
            split.train().size(),
            split.validation().size(),
            hp.seed()),
        0,
        -1);
    Path work = Files.createTempDirectory("maas-train-");
    try {
      double embedSeconds;
      double trainSeconds;
      ClassifierTrainer.Outcome outcome;
      Map<String, Tensor> trained;
      WordRows trainRows;
      WordRows valRows;
      String version;
      Path stageRoot;
      Path dir;
      try (TrainableEncoder base = loadBase(in, work)) {
        if (!(base instanceof TokenLogits words)) {
          throw new InvalidRequestException(
              "base model '" + in.base().id() + "' cannot tokenize words for token classification");
        }
        long t1 = System.nanoTime();
        try (NDManager manager = runtime.newManager()) {
          trainRows =
              wordRows(base, words, split.train(), labels, "encoding training split", progress);
          valRows =
              wordRows(
                  base, words, split.validation(), labels, "encoding validation split", progress);
          int hidden = base.dimension();
          float[] mean = new float[hidden];
          float[] std = new float[hidden];
          standardization(trainRows.x(), mean, std);
          Map<String, NDArray> head = initialHead(manager, labels.size(), hidden, hp.seed());
          ClassifierTrainer.Net net =
              new FeatureNet(
                  standardize(trainRows.x(), mean, std),
                  standardize(valRows.x(), mean, std),
                  hidden,
                  head,
                  runtime.gradients());
          long t2 = System.nanoTime();
          embedSeconds = (t2 - t1) / 1e9;
          outcome =
              ClassifierTrainer.train(
                  net,
                  "head",
                  hp.epochs(),
                  hp.learningRate(),
                  hp.encoderLearningRate(),
                  trainRows.y(),
                  valRows.y(),
                  ClassifierTrainer.classWeights(trainRows.y(), labels.size(), hp.classWeighting()),
                  hp,
                  manager,
                  progress);
          trainSeconds = (System.nanoTime() - t2) / 1e9;
          trained = foldedHead(outcome, mean, std, labels.size());
        } finally {
          runtime.prepareThread();
        }
        version = nextVersion(request.name());
        stageRoot = work.resolve("pkg");
        dir = stageRoot.resolve(request.name()).resolve(version);
        Files.createDirectories(dir);
        progress.phase("writing " + request.name() + "@" + version, 0, -1);
        base.writeTokenClassifierFiles(path -> bytes(in.base(), path), labels, trained, dir);
      }
      Map<String, Object> trainInfo = new LinkedHashMap<>();
      trainInfo.put("sentences", split.train().size());
      trainInfo.put("words", trainRows.y().length);
      trainInfo.put("counts", split.train().counts());
      Map<String, Object> valInfo = new LinkedHashMap<>();
      valInfo.put("sentences", split.validation().size());
      valInfo.put("words", valRows.y().length);
      valInfo.put("counts", split.validation().counts());
      Map<String, Object> metrics =
          metrics(
              hp,
              trainInfo,
              valInfo,
              outcome,
              outcome.history(),
              "head",
              labels,
              embedSeconds,
              trainSeconds);
      String task = ModelManifest.TASK_TOKEN_CLASSIFICATION;
      List<Capability> caps = List.of(Capability.TOKEN_CLASSIFIER);
      ModelManifest draft = draft(in, request, version, metrics, task, caps);
      for (PackageCompiler c : PackageCompiler.registered()) {
        c.compile(dir, draft, (what, done, total) -> progress.phase(what, done, total));
      }
      ModelManifest sealed = ModelPackage.seal(dir, draft);
      double evalSeconds = 0;
      if (tin.eval() != null) {
        long t3 = System.nanoTime();
        progress.phase("evaluating on " + request.evalData(), 0, -1);
        PackageLoader loader =
            new PackageLoader(
                new LocalModelStore(stageRoot),
                new PackageCache(work.resolve("cache"), 0),
                LoadMode.MEMORY,
                runtime);
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("data", request.evalData());
        try (LoadedModel m = loader.load(sealed).model()) {
          ev.putAll(EntityEvaluation.run((TokenLogits) m, tin.eval()).toMap());
        }
        evalSeconds = (System.nanoTime() - t3) / 1e9;
        ev.put("seconds", round(evalSeconds));
        metrics.put("evaluation", ev);
        @SuppressWarnings("unchecked")
        Map<String, Object> timing = (Map<String, Object>) metrics.get("timing");
        timing.put("evalSeconds", round(evalSeconds));
        sealed = ModelPackage.seal(dir, draft(in, request, version, metrics, task, caps));
      }
      progress.phase("publishing " + sealed.id() + " to " + store.uri(), 0, -1);
      store.publish(dir, false, Progress.NONE);
      return new TrainingResult(
          sealed,
          store.uri(),
          outcome.history(),
          null,
          embedSeconds,
          trainSeconds,
          evalSeconds,
          (System.nanoTime() - tStart) / 1e9);
    } finally {
      deleteRecursively(work);
    }
  }

  /** Word rows: each word's feature vector and its tag's index. */
  private record WordRows(float[][] x, int[] y) {}

  /**
   * The final hidden state of each word's first token, sentences in batches of {@link #CACHE_CHUNK}
   * in inference mode; a word cut off by {@code maxLength} gives no row.
   */
  private static WordRows wordRows(
      TrainableEncoder model,
      TokenLogits words,
      TaggedDataset data,
      List<String> labels,
      String what,
      TrainingProgress progress) {
    List<float[]> x = new ArrayList<>();
    List<Integer> y = new ArrayList<>();
    int dim = model.dimension();
    List<TaggedDataset.Sentence> all = data.sentences();
    model.engine().prepareThread();
    for (int start = 0; start < all.size(); start += CACHE_CHUNK) {
      List<TaggedDataset.Sentence> chunk =
          all.subList(start, Math.min(all.size(), start + CACHE_CHUNK));
      List<EntityEvaluation.WordAlignment> aligned =
          chunk.stream()
              .map(s -> EntityEvaluation.WordAlignment.of(words, s, model.maxLength()))
              .toList();
      int len = aligned.stream().mapToInt(a -> a.tokens().length()).max().orElse(0);
      long[] ids = new long[chunk.size() * len];
      long[] mask = new long[chunk.size() * len];
      for (int i = 0; i < chunk.size(); i++) {
        long[] t = aligned.get(i).tokens().ids();
        System.arraycopy(t, 0, ids, i * len, t.length);
        Arrays.fill(mask, i * len, i * len + t.length, 1L);
      }
      try (NDManager m = model.engine().newManager()) {
        Shape shape = new Shape(chunk.size(), len);
        NDList t =
            new NDList(
                m.create(ids, shape), m.create(new long[ids.length], shape), m.create(mask, shape));
        NDArray hidden = model.forwardFrom(model.forwardTo(t, model.layers()), model.layers());
        float[] flat = hidden.toType(DataType.FLOAT32, false).toFloatArray();
        for (int i = 0; i < chunk.size(); i++) {
          int[] first = aligned.get(i).firstToken();
          List<String> tags = chunk.get(i).tags();
          for (int w = 0; w < first.length; w++) {
            if (first[w] >= 0) {
              int from = (i * len + first[w]) * dim;
              x.add(Arrays.copyOfRange(flat, from, from + dim));
              y.add(labels.indexOf(tags.get(w)));
            }
          }
        }
      }
      progress.phase(what, start + chunk.size(), all.size());
    }
    return new WordRows(
        x.toArray(new float[0][]), y.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Validated inputs of a request: data read, base manifest resolved, limits applied. */
  private record Inputs(
      TrainingRequest request,
      Hyperparameters hp,
      LabelledDataset train,
      LabelledDataset eval,
      ModelManifest base,
      String positiveLabel) {}

  private Inputs inputs(TrainingRequest request) throws IOException {
    LabelledDataset train = LabelledDataset.read(datasets, request.data()).requireTrainable();
    LabelledDataset eval = null;
    if (request.evalData() != null) {
      eval = LabelledDataset.read(datasets, request.evalData());
      if (eval.size() == 0) {
        throw new InvalidRequestException(
            "evaluation dataset " + request.evalData() + " has no examples");
      }
      List<String> unknown =
          eval.labels().stream().filter(l -> !train.labels().contains(l)).toList();
      if (!unknown.isEmpty()) {
        throw new InvalidRequestException(
            "evaluation dataset "
                + request.evalData()
                + " has labels "
                + unknown
                + " that the training data "
                + request.data()
                + " lacks (it has "
                + train.labels()
                + ")");
      }
    }
    if (train.pairs() && !train.labels().equals(List.of("0", "1"))) {
      throw new InvalidRequestException(
          "reranker dataset "
              + request.data()
              + " needs relevant (label 1) and irrelevant (label 0) pairs; it has labels "
              + train.labels());
    }
    if (eval != null && eval.pairs() != train.pairs()) {
      throw new InvalidRequestException(
          "evaluation dataset "
              + request.evalData()
              + (train.pairs() ? " holds texts, not" : " holds query/document pairs, not")
              + " the training data's "
              + (train.pairs() ? "pairs" : "texts"));
    }
    String positive = request.positiveLabel();
    if (positive != null && !train.labels().contains(positive)) {
      throw new InvalidFieldException(
          "positiveLabel",
          "'" + positive + "' is not a label of the training data " + train.labels());
    }
    ModelManifest base = baseManifest(request);
    Hyperparameters hp = request.hyperparameters();
    int maxLen = Math.min(hp.maxLength(), base.maxSequenceLength());
    return new Inputs(request, hp.withMaxLength(maxLen), train, eval, base, positive);
  }

  /** The request's base package, refused unless its architecture can be fine-tuned. */
  private ModelManifest baseManifest(TrainingRequest request) throws IOException {
    ModelId baseId = store.resolve(ModelId.parse(request.model()));
    ModelManifest base = store.manifest(baseId);
    if (!Architecture.forName(base.architecture()).capabilities().contains(Capability.CLASSIFIER)) {
      throw new InvalidRequestException(
          "base model '"
              + baseId
              + "' has architecture '"
              + base.architecture()
              + "'; training supports BERT-family encoders (bert, roberta, distilbert)");
    }
    return base;
  }

  private void checkUnfreeze(Inputs in, TrainableEncoder base) {
    int n = in.hp.unfreezeLayers();
    int layers = base.layers();
    if (n > layers) {
      throw new InvalidFieldException(
          "unfreezeLayers",
          "is " + n + " but model '" + in.base.id() + "' has only " + layers + " encoder layers");
    }
    if (n > 0 && !"float32".equals(in.base.dtype())) {
      throw new InvalidFieldException(
          "unfreezeLayers",
          "needs a float32 base model; '"
              + in.base.id()
              + "' is "
              + in.base.dtype()
              + " (train with a frozen encoder, or start from the float32 package)");
    }
    if (n > 0 && runtime.computeType() != DataType.FLOAT32) {
      throw new InvalidFieldException(
          "unfreezeLayers",
          "needs float32 compute; this runtime computes in "
              + runtime.computeType()
              + " (use device=cpu)");
    }
  }

  /**
   * Loads a private copy of the base encoder (its weights may be trained), truncating at maxLength.
   */
  private TrainableEncoder loadBase(Inputs in, Path work) throws IOException {
    ModelManifest m = in.base;
    ModelManifest truncated =
        new ModelManifest(
            m.format(),
            m.name(),
            m.version(),
            m.task(),
            m.capabilities(),
            m.architecture(),
            m.pooling(),
            m.normalize(),
            in.hp.maxLength(),
            m.dtype(),
            m.quantization(),
            m.files(),
            m.metrics(),
            m.source());
    PackageLoader loader =
        new PackageLoader(
            store, new PackageCache(work.resolve("cache"), 0), LoadMode.MEMORY, runtime);
    LoadedModel model = loader.load(truncated).model();
    if (!(model instanceof TrainableEncoder trainable)) {
      model.close();
      throw new InvalidRequestException(
          "base model '"
              + m.id()
              + "' (architecture "
              + m.architecture()
              + ") does not support fine-tuning");
    }
    return trainable;
  }

  /** Pooled, unnormalized features, the head's input at inference, in inference mode. */
  private static float[][] embed(
      TrainableEncoder model,
      LabelledDataset data,
      String what,
      TrainingProgress progress,
      int offset,
      int total) {
    List<String> texts = data.texts();
    Integer[] order = new Integer[texts.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> texts.get(i).length()));
    float[][] out = new float[texts.size()][];
    for (int start = 0; start < order.length; start += EMBED_CHUNK) {
      int end = Math.min(order.length, start + EMBED_CHUNK);
      List<String> chunk = new ArrayList<>(end - start);
      for (int i = start; i < end; i++) {
        chunk.add(texts.get(order[i]));
      }
      float[][] v =
          data.pairs()
              ? pooledPairs(model, chunk, documents(data, order, start, end))
              : EmbeddingService.embed(model, chunk, false).vectors();
      for (int i = start; i < end; i++) {
        out[order[i]] = v[i - start];
      }
      progress.phase(what, offset + end, total);
    }
    return out;
  }

  private static void standardization(float[][] x, float[] mean, float[] std) {
    int d = mean.length;
    double[] s = new double[d];
    double[] s2 = new double[d];
    for (float[] row : x) {
      for (int j = 0; j < d; j++) {
        s[j] += row[j];
        s2[j] += (double) row[j] * row[j];
      }
    }
    for (int j = 0; j < d; j++) {
      double m = s[j] / x.length;
      double var = Math.max(0, s2[j] / x.length - m * m);
      mean[j] = (float) m;
      std[j] = (float) Math.max(Math.sqrt(var), 1e-4);
    }
  }

  private static float[] standardize(float[][] x, float[] mean, float[] std) {
    int d = mean.length;
    float[] out = new float[x.length * d];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < d; j++) {
        out[i * d + j] = (x[i][j] - mean[j]) / std[j];
      }
    }
    return out;
  }

  /** Head on cached features. */
  private static final class FeatureNet implements ClassifierTrainer.Net {
    private final float[] train;
    private final float[] val;
    private final int dim;
    private final Map<String, NDArray> head;

    private final EagerEngine.Gradients gradients;

    FeatureNet(
        float[] train,
        float[] val,
        int dim,
        Map<String, NDArray> head,
        EagerEngine.Gradients gradients) {
      this.gradients = gradients;
      this.train = train;
      this.val = val;
      this.dim = dim;
      this.head = head;
    }

    @Override
    public Map<String, NDArray> head() {
      return head;
    }

    @Override
    public Map<String, NDArray> encoder() {
      return Map.of();
    }

    @Override
    public EagerEngine.Gradients gradients() {
      return gradients;
    }

    @Override
    public NDArray logits(boolean validation, int[] rows, NDManager manager) {
      float[] src = validation ? val : train;
      float[] flat = new float[rows.length * dim];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(src, rows[i] * dim, flat, i * dim, dim);
      }
      return linear(manager.create(flat, new Shape(rows.length, dim)), head);
    }
  }

  /**
   * Per example, the output of the frozen lower layers for its real tokens: (length × hidden)
   * floats.
   */
  private record Cached(float[][] hidden, int[] lengths, int dim) {
    int size() {
      return lengths.length;
    }
  }

  /** Runs the layers below {@code upTo} once, in inference mode, and keeps each example's rows. */
  private static Cached cacheLower(
      TrainableEncoder model,
      LabelledDataset data,
      int upTo,
      NDManager manager,
      String what,
      TrainingProgress progress,
      int offset,
      int total) {
    List<String> texts = data.texts();
    Integer[] order = new Integer[texts.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> texts.get(i).length()));
    int dim = model.dimension();
    float[][] hidden = new float[texts.size()][];
    int[] lengths = new int[texts.size()];
    model.engine().prepareThread();
    for (int start = 0; start < order.length; start += CACHE_CHUNK) {
      int end = Math.min(order.length, start + CACHE_CHUNK);
      List<String> chunk = new ArrayList<>(end - start);
      for (int i = start; i < end; i++) {
        chunk.add(texts.get(order[i]));
      }
      try (NDManager m = manager.newSubManager()) {
        NDList t =
            data.pairs()
                ? model.tokenizePairs(chunk, documents(data, order, start, end), m)
                : model.tokenizeBatch(chunk, m);
        TrainableEncoder.Partial p = model.forwardTo(t, upTo);
        int len = (int) t.get(0).getShape().get(1);
        float[] flat = p.hidden().toType(DataType.FLOAT32, false).toFloatArray();
        long[] mask = t.get(2).toLongArray();
        for (int i = start; i < end; i++) {
          int row = i - start;
          int n = 0;
          while (n < len && mask[row * len + n] == 1) {
            n++;
          }
          lengths[order[i]] = n;
          hidden[order[i]] = Arrays.copyOfRange(flat, row * len * dim, (row * len + n) * dim);
        }
      }
      progress.phase(what, offset + end, total);
    }
    return new Cached(hidden, lengths, dim);
  }

  /** Padded cached rows → the remaining layers → pooled features (B, hidden), in {@code m}. */
  private static NDArray pooledFromCache(
      TrainableEncoder model, Cached c, int from, int[] rows, NDManager m) {
    int len = 0;
    for (int r : rows) {
      len = Math.max(len, c.lengths()[r]);
    }
    int dim = c.dim();
    float[] flat = new float[rows.length * len * dim];
    long[] mask = new long[rows.length * len];
    for (int i = 0; i < rows.length; i++) {
      float[] h = c.hidden()[rows[i]];
      System.arraycopy(h, 0, flat, i * len * dim, h.length);
      Arrays.fill(mask, i * len, i * len + c.lengths()[rows[i]], 1L);
    }
    NDArray maskArr = m.create(mask, new Shape(rows.length, len));
    NDArray hidden = m.create(flat, new Shape(rows.length, len, dim));
    TrainableEncoder.Partial p = new TrainableEncoder.Partial(hidden, model.attentionBias(maskArr));
    return model.pool(model.forwardFrom(p, from), maskArr);
  }

  /** Pooled features of every cached example with the current (untrained) top layers. */
  private static float[][] pooled(TrainableEncoder model, Cached c, int from, NDManager manager) {
    model.engine().prepareThread();
    float[][] out = new float[c.size()][];
    for (int start = 0; start < c.size(); start += CACHE_CHUNK) {
      int[] rows = new int[Math.min(CACHE_CHUNK, c.size() - start)];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = start + i;
      }
      try (NDManager m = manager.newSubManager()) {
        float[] flat = pooledFromCache(model, c, from, rows, m).toFloatArray();
        for (int i = 0; i < rows.length; i++) {
          out[start + i] = Arrays.copyOfRange(flat, i * c.dim(), (i + 1) * c.dim());
        }
      }
    }
    return out;
  }

  /**
   * Top layers + head on cached lower-layer outputs; features standardized with fixed statistics.
   */
  private static final class CachedEncoderNet implements ClassifierTrainer.Net {
    private final TrainableEncoder model;
    private final Cached train;
    private final Cached val;
    private final int from;
    private final Map<String, NDArray> head;
    private final Map<String, NDArray> encoder;
    private final NDArray mean;
    private final NDArray std;

    CachedEncoderNet(
        TrainableEncoder model,
        Cached train,
        Cached val,
        int from,
        Map<String, NDArray> head,
        Map<String, NDArray> encoder,
        NDArray mean,
        NDArray std) {
      this.model = model;
      this.train = train;
      this.val = val;
      this.from = from;
      this.head = head;
      this.encoder = encoder;
      this.mean = mean;
      this.std = std;
    }

    @Override
    public EagerEngine.Gradients gradients() {
      return model.engine().gradients();
    }

    @Override
    public Map<String, NDArray> head() {
      return head;
    }

    @Override
    public Map<String, NDArray> encoder() {
      return encoder;
    }

    @Override
    public NDArray logits(boolean validation, int[] rows, NDManager manager) {
      NDArray features = pooledFromCache(model, validation ? val : train, from, rows, manager);
      return linear(features.sub(mean).div(std), head);
    }
  }

  /** x · Wᵀ + b, exactly what the package's head computes. */
  private static NDArray linear(NDArray x, Map<String, NDArray> head) {
    return Linear.linear(
            x, head.get(TrainableEncoder.HEAD_WEIGHT), head.get(TrainableEncoder.HEAD_BIAS))
        .singletonOrThrow();
  }

  private ByteBuffer bytes(ModelManifest m, String path) throws IOException {
    PackageFile f = m.file(path);
    if (f == null) {
      throw new IOException("base package " + m.id() + " lacks " + path);
    }
    return PackageCache.toMemory(
        f, store.uri() + m.name() + "/" + m.version(), sink -> store.fetch(m.id(), f, sink));
  }

  /** The documents of examples {@code order[start..end)} (the chunk's pairs). */
  private static List<String> documents(LabelledDataset data, Integer[] order, int start, int end) {
    List<String> out = new ArrayList<>(end - start);
    for (int i = start; i < end; i++) {
      out.add(data.examples().get(order[i]).document());
    }
    return out;
  }

  /** Pooled, unnormalized features of (query, document) pairs, in inference mode. */
  private static float[][] pooledPairs(
      TrainableEncoder model, List<String> queries, List<String> documents) {
    model.engine().prepareThread();
    try (NDManager m = model.engine().newManager()) {
      NDList t = model.tokenizePairs(queries, documents, m);
      NDArray hidden = model.forwardFrom(model.forwardTo(t, model.layers()), model.layers());
      NDArray pooled = model.pool(hidden, t.get(2)).toType(DataType.FLOAT32, false);
      int width = (int) pooled.getShape().get(1);
      float[] flat = pooled.toFloatArray();
      float[][] out = new float[queries.size()][];
      for (int i = 0; i < out.length; i++) {
        out[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
      }
      return out;
    }
  }

  private static int hidden(Map<String, Tensor> trained) {
    return (int) trained.get(TrainableEncoder.HEAD_WEIGHT).shape()[1];
  }

  /**
   * A two-way head (rows 0 and 1) as one relevance logit: row {@code relevant} minus the other, so
   * the logit's sigmoid is the two-way softmax's probability of relevance.
   */
  static Map<String, Tensor> relevanceHead(Map<String, Tensor> trained, int relevant, int hidden) {
    float[] w = trained.get(TrainableEncoder.HEAD_WEIGHT).toFloats();
    float[] b = trained.get(TrainableEncoder.HEAD_BIAS).toFloats();
    int other = 1 - relevant;
    float[] w1 = new float[hidden];
    for (int j = 0; j < hidden; j++) {
      w1[j] = w[relevant * hidden + j] - w[other * hidden + j];
    }
    Map<String, Tensor> out = new LinkedHashMap<>(trained);
    out.put(TrainableEncoder.HEAD_WEIGHT, Tensor.ofFloats(w1, 1, hidden));
    out.put(TrainableEncoder.HEAD_BIAS, Tensor.ofFloats(new float[] {b[relevant] - b[other]}, 1));
    return out;
  }

  private ModelManifest draft(
      Inputs in,
      TrainingRequest request,
      String version,
      Map<String, Object> metrics,
      boolean reranker) {
    return reranker
        ? draft(
            in,
            request,
            version,
            metrics,
            ModelManifest.TASK_RERANKING,
            List.of(Capability.RERANKER))
        : draft(
            in,
            request,
            version,
            metrics,
            ModelManifest.TASK_CLASSIFICATION,
            List.of(Capability.ENCODER, Capability.CLASSIFIER));
  }

  private ModelManifest draft(
      Inputs in,
      TrainingRequest request,
      String version,
      Map<String, Object> metrics,
      String task,
      List<Capability> capabilities) {
    ModelManifest b = in.base;
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("trainer", "maaskit-train");
    source.put("baseModel", b.id().toString());
    source.put("data", request.data());
    if (request.evalData() != null) {
      source.put("evalData", request.evalData());
    }
    return new ModelManifest(
        ModelManifest.FORMAT,
        request.name(),
        version,
        task,
        capabilities,
        in.base.architecture(),
        b.pooling(),
        b.normalize(),
        in.hp.maxLength(),
        b.dtype(),
        b.quantization(),
        List.of(),
        metrics,
        source);
  }

  private static Map<String, Object> metrics(
      Inputs in,
      LabelledDataset.Split split,
      ClassifierTrainer.Outcome o,
      List<EpochStats> epochs,
      String keptStage,
      List<String> labels,
      double embedSeconds,
      double trainSeconds) {
    Map<String, Object> train = new LinkedHashMap<>();
    train.put("examples", split.train().size());
    train.put("counts", split.train().counts());
    Map<String, Object> val = new LinkedHashMap<>();
    val.put("examples", split.validation().size());
    val.put("counts", split.validation().counts());
    return metrics(in.hp, train, val, o, epochs, keptStage, labels, embedSeconds, trainSeconds);
  }

  /**
   * The manifest's metrics: hyper-parameters, labels, the kept epoch's numbers on the splits
   * ({@code train} and {@code val} say what the splits hold), the history and the timing.
   */
  private static Map<String, Object> metrics(
      Hyperparameters hp,
      Map<String, Object> train,
      Map<String, Object> val,
      ClassifierTrainer.Outcome o,
      List<EpochStats> epochs,
      String keptStage,
      List<String> labels,
      double embedSeconds,
      double trainSeconds) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("hyperparameters", hp.toMap());
    m.put("labels", labels);
    train.put("loss", round(o.trainLoss()));
    train.put("accuracy", round(o.trainAccuracy()));
    m.put("train", train);
    val.put("loss", round(o.validationLoss()));
    val.put("accuracy", round(o.validationAccuracy()));
    val.put("bestEpoch", o.bestEpoch());
    val.put("bestStage", keptStage);
    val.put("epochsRun", epochs.size());
    val.put("stoppedEarly", o.stoppedEarly());
    m.put("validation", val);
    List<Map<String, Object>> history = new ArrayList<>();
    for (EpochStats e : epochs) {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("stage", e.stage());
      h.put("epoch", e.epoch());
      h.put("loss", round(e.trainLoss()));
      h.put("validationLoss", round(e.validationLoss()));
      h.put("validationAccuracy", round(e.validationAccuracy()));
      h.put("learningRate", e.learningRate());
      h.put("seconds", round(e.seconds()));
      history.add(h);
    }
    m.put("history", history);
    Map<String, Object> timing = new LinkedHashMap<>();
    timing.put(hp.frozenEncoder() ? "embedSeconds" : "frozenLayersSeconds", round(embedSeconds));
    timing.put("trainSeconds", round(trainSeconds));
    m.put("timing", timing);
    return m;
  }

  /** One more than the highest numeric version of {@code name} in the store, or 1. */
  private String nextVersion(String name) throws IOException {
    int max = 0;
    for (ModelId id : store.list()) {
      if (id.name().equals(name)) {
        try {
          max = Math.max(max, Integer.parseInt(id.version()));
        } catch (NumberFormatException ignored) {
          // non-numeric labels do not take part in numbering
        }
      }
    }
    return Integer.toString(max + 1);
  }

  private static double measureThroughput(TrainableEncoder model, List<String> sample) {
    List<String> probe = sample.subList(0, Math.min(32, sample.size()));
    EmbeddingService.embed(model, probe.subList(0, Math.min(4, probe.size())), false); // warm-up
    long t0 = System.nanoTime();
    int tokens = EmbeddingService.embed(model, probe, false).promptTokens();
    double secs = Math.max(1e-3, (System.nanoTime() - t0) / 1e9);
    return tokens / secs;
  }

  private static List<String> sample(List<String> texts, int n, long seed) {
    if (texts.size() <= n) {
      return texts;
    }
    List<String> copy = new ArrayList<>(texts);
    java.util.Collections.shuffle(copy, new Random(seed));
    return copy.subList(0, n);
  }

  static double round(double v) {
    return Math.round(v * 1e6) / 1e6;
  }

  private static void deleteRecursively(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    } catch (IOException ignored) {
      // a temp directory left behind is not worth failing a finished job for
    }
  }
}
