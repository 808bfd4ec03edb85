package io.maaskit.it.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.it.TestModels;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.Classifications.LabelScore;
import io.maaskit.model.task.ClassifyRequest;
import io.maaskit.training.*;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning on the real all-MiniLM-L6-v2 with a small two-topic dataset written here: the loss
 * falls, a seed fixes the result, the package is a Hugging Face-layout classifier that the registry
 * serves, and bad requests fail with messages a user can act on.
 */
class TrainingJobTest {
  static final String BASE = "all-minilm-l6-v2";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static LocalModelStore store;
  static Engine runtime;
  static TrainingJob job;
  static Path data;
  static Path eval;

  @BeforeAll
  static void setUp() throws Exception {
    Path base = TestModels.miniLm();
    Path storeRoot = tmp.resolve("store");
    Path target = storeRoot.resolve(BASE).resolve("1");
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(base)) {
      for (Path f : files.toList()) {
        Files.createSymbolicLink(target.resolve(f.getFileName()), f);
      }
    }
    store = new LocalModelStore(storeRoot);
    runtime = EagerEngine.start(EngineOptions.defaults());
    job = new TrainingJob(store, runtime, DatasetSource.local());
    data = write("topics.jsonl", topics(24, 1));
    eval = write("topics-eval.jsonl", topics(6, 99));
  }

  static final String[] TEAMS = {
    "the home side", "our club", "the visitors", "the champions", "the underdogs", "the rovers"
  };
  static final String[] SPORT = {
    "%s won the match 3-1 after a late goal in extra time",
    "%s lost the final on penalties after a tense second half",
    "the striker of %s scored twice before the referee's whistle",
    "%s will play the semi-final at the stadium on Saturday",
    "the coach of %s praised the goalkeeper after the derby"
  };
  static final String[] FIRMS = {
    "the bank", "the retailer", "the chipmaker", "the airline", "the insurer", "the carmaker"
  };
  static final String[] MONEY = {
    "shares of %s fell 4 percent after quarterly earnings missed forecasts",
    "%s raised its dividend and announced a share buyback",
    "investors sold bonds of %s as interest rates climbed",
    "%s reported record revenue and higher profit margins this quarter",
    "analysts cut their price target for %s ahead of the annual report"
  };

  /** n sports and n finance sentences, drawn with a seed. */
  static List<String> topics(int n, long seed) throws Exception {
    Random r = new Random(seed);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      lines.add(
          line(
              String.format(SPORT[r.nextInt(SPORT.length)], TEAMS[r.nextInt(TEAMS.length)]),
              "sports"));
      lines.add(
          line(
              String.format(MONEY[r.nextInt(MONEY.length)], FIRMS[r.nextInt(FIRMS.length)]),
              "finance"));
    }
    return lines;
  }

  static String line(String text, String label) throws Exception {
    return JSON.writeValueAsString(Map.of("text", text, "label", label));
  }

  static Path write(String name, List<String> lines) throws Exception {
    Path p = tmp.resolve(name);
    Files.write(p, lines);
    return p;
  }

  static Hyperparameters hp(String json) throws Exception {
    return Hyperparameters.fromJson(JSON.readTree(json));
  }

  static TrainingRequest request(String name, String hyperparameters) throws Exception {
    return new TrainingRequest(BASE, data.toString(), name, null, null, hp(hyperparameters));
  }

  static float[] classifierWeight(ModelManifest m) throws Exception {
    Path weights = store.dir(m.id()).resolve("model.safetensors");
    return Safetensors.read(weights).get("classifier.weight").toFloats();
  }

  @Test
  void trainsPublishesAndServesAClassifier() throws Exception {
    TrainingRequest req =
        new TrainingRequest(
            BASE,
            data.toString(),
            "topics",
            eval.toString(),
            "sports",
            hp("{\"epochs\": 15, \"validationFraction\": 0.25}"));
    List<EpochStats> epochs = new ArrayList<>();
    TrainingResult r =
        job.run(
            req,
            new TrainingProgress() {
              @Override
              public void epoch(EpochStats stats) {
                epochs.add(stats);
              }
            });
    assertEquals(r.history(), epochs);
    EpochStats first = epochs.get(0);
    EpochStats last = epochs.get(epochs.size() - 1);
    assertTrue(
        last.trainLoss() < first.trainLoss() * 0.5,
        "training loss should fall by half: " + first.trainLoss() + " -> " + last.trainLoss());
    assertTrue(
        epochs.stream().mapToDouble(EpochStats::validationLoss).min().orElseThrow()
            < first.validationLoss());

    ModelManifest m = r.manifest();
    assertEquals(new ModelId("topics", "1"), m.id());
    assertEquals(ModelManifest.TASK_CLASSIFICATION, m.task());
    assertEquals("bert", m.architecture());
    Map<String, Object> metrics = m.metrics();
    assertEquals(15, ((Map<?, ?>) metrics.get("hyperparameters")).get("epochs"));
    assertEquals(
        Map.of("finance", 6, "sports", 6), ((Map<?, ?>) metrics.get("validation")).get("counts"));
    Map<?, ?> ev = (Map<?, ?>) metrics.get("evaluation");
    assertEquals(12, ev.get("examples"));
    assertTrue(
        ((Number) ev.get("accuracy")).doubleValue() >= 0.9,
        "held-out accuracy " + ev.get("accuracy"));
    assertEquals(store.manifest(m.id()), m, "the returned manifest is the published one");

    JsonNode config = JSON.readTree(store.dir(m.id()).resolve("config.json").toFile());
    assertEquals("BertForSequenceClassification", config.get("architectures").get(0).asText());
    assertEquals("finance", config.get("id2label").get("0").asText());
    assertEquals("sports", config.get("id2label").get("1").asText());
    Map<String, Safetensors.Tensor> tensors =
        Safetensors.read(store.dir(m.id()).resolve("model.safetensors"));
    assertArrayEquals(new long[] {2, 384}, tensors.get("classifier.weight").shape());
    assertArrayEquals(new long[] {2}, tensors.get("classifier.bias").shape());
    assertTrue(tensors.containsKey("encoder.layer.5.output.dense.weight"));

    PackageLoader loader =
        new PackageLoader(
            store, new PackageCache(tmp.resolve("cache"), 0), LoadMode.CACHE, runtime);
    try (ModelRegistry registry = new ModelRegistry(store, loader, RegistryOptions.defaults())) {
      TextClassifier c =
          registry.get(ModelId.parse("topics"), Capability.CLASSIFIER, TextClassifier.class);
      assertEquals(List.of("finance", "sports"), c.labels());
      ClassificationService svc = new ClassificationService(registry, "topics", 16);
      List<List<LabelScore>> out =
          svc.classify(
                  new ClassifyRequest(
                      null,
                      List.of(
                          "the goalkeeper saved a penalty and the team won the cup",
                          "the company's stock dropped after weak profit guidance")))
              .predictions();
      assertEquals("sports", out.get(0).get(0).label());
      assertEquals("finance", out.get(1).get(0).label());
      for (List<LabelScore> row : out) {
        assertEquals(2, row.size());
        assertTrue(row.get(0).score() >= row.get(1).score(), "sorted by score: " + row);
        assertEquals(1.0, row.get(0).score() + row.get(1).score(), 1e-5);
      }
    }
  }

  @Test
  void sameSeedGivesIdenticalWeightsAndTheNextVersion() throws Exception {
    ModelManifest a =
        job.run(request("seeded", "{\"epochs\": 3, \"seed\": 5}"), TrainingProgress.NONE)
            .manifest();
    ModelManifest b =
        job.run(request("seeded", "{\"epochs\": 3, \"seed\": 5}"), TrainingProgress.NONE)
            .manifest();
    ModelManifest c =
        job.run(request("seeded", "{\"epochs\": 3, \"seed\": 6}"), TrainingProgress.NONE)
            .manifest();
    assertEquals(List.of("1", "2", "3"), List.of(a.version(), b.version(), c.version()));
    assertArrayEquals(classifierWeight(a), classifierWeight(b), 0f);
    assertFalse(
        java.util.Arrays.equals(classifierWeight(a), classifierWeight(c)),
        "another seed, other weights");
  }

  @Test
  void unfreezingTrainsTheTopLayerOnly() throws Exception {
    // Small on purpose: every step runs the top layer forward and backward. One head epoch leaves
    // the head weak, so the encoder stage must lower the validation loss for its weights to be
    // kept.
    Path tiny = write("tiny.jsonl", topics(6, 3));
    List<String> phases = new java.util.concurrent.CopyOnWriteArrayList<>();
    TrainingResult r =
        job.run(
            new TrainingRequest(
                BASE,
                tiny.toString(),
                "unfrozen",
                null,
                null,
                hp(
                    "{\"epochs\": 1, \"encoderEpochs\": 3, \"batchSize\": 4, \"validationFraction\": 0.25,"
                        + " \"unfreezeLayers\": 1, \"encoderLearningRate\": 0.0005}")),
            new TrainingProgress() {
              @Override
              public void phase(String what, long done, long total) {
                phases.add(what + " " + done + "/" + total);
              }
            });
    List<String> stages = r.history().stream().map(EpochStats::stage).toList();
    assertEquals(List.of("head", "encoder", "encoder", "encoder"), stages);
    // Fine-tuning reports every training step (the console prints one line a second at most), so
    // a long encoder epoch is never silent.
    List<String> steps =
        phases.stream().filter(p -> p.startsWith("encoder epoch 2/3: training steps")).toList();
    assertTrue(steps.size() >= 2, "one report per step: " + phases);
    for (int k = 0; k < steps.size(); k++) {
      assertEquals(
          "encoder epoch 2/3: training steps " + (k + 1) + "/" + steps.size(), steps.get(k));
    }
    List<EpochStats> enc = r.history().subList(1, 4);
    assertTrue(enc.get(2).trainLoss() < enc.get(0).trainLoss(), "loss falls: " + enc);
    assertEquals(
        "encoder", ((Map<?, ?>) r.manifest().metrics().get("validation")).get("bestStage"));
    Map<String, Safetensors.Tensor> base =
        Safetensors.read(store.dir(new ModelId(BASE, "1")).resolve("model.safetensors"));
    Map<String, Safetensors.Tensor> tuned =
        Safetensors.read(store.dir(r.manifest().id()).resolve("model.safetensors"));
    String top = "encoder.layer.5.intermediate.dense.weight";
    String low = "encoder.layer.4.intermediate.dense.weight";
    assertFalse(
        java.util.Arrays.equals(base.get(top).toFloats(), tuned.get(top).toFloats()),
        "layer 5 was trained");
    assertArrayEquals(
        base.get(low).toFloats(), tuned.get(low).toFloats(), 0f, "layer 4 stays frozen");
    assertEquals(
        1, ((Map<?, ?>) r.manifest().metrics().get("hyperparameters")).get("unfreezeLayers"));

    // The package computes what was trained: it classifies its own training topics.
    PackageLoader loader =
        new PackageLoader(
            store, new PackageCache(tmp.resolve("cache"), 0), LoadMode.CACHE, runtime);
    try (TextClassifier c = (TextClassifier) loader.load(r.manifest()).model()) {
      float[][] p =
          ClassificationService.probabilities(
              c,
              List.of(
                  "the striker of our club scored twice before the referee's whistle",
                  "shares of the bank fell 4 percent after quarterly earnings missed forecasts"));
      assertTrue(
          p[0][1] > 0.5 && p[1][0] > 0.5, "sports, finance: " + java.util.Arrays.deepToString(p));
    }
  }

  @Test
  void badRequestsFailWithClearMessages() throws Exception {
    String tooMany =
        assertThrows(
                InvalidRequestException.class,
                () -> job.run(request("bad", "{\"unfreezeLayers\": 7}"), TrainingProgress.NONE))
            .getMessage();
    assertEquals(
        "'unfreezeLayers' is 7 but model 'all-minilm-l6-v2@1' has only 6 encoder layers", tooMany);

    Path broken =
        write(
            "broken.jsonl",
            List.of(line("fine", "a"), line("also fine", "b"), "{\"text\": \"oops\""));
    DatasetFormatException e =
        assertThrows(
            DatasetFormatException.class,
            () ->
                job.run(
                    new TrainingRequest(BASE, broken.toString(), "bad", null, null, null),
                    TrainingProgress.NONE));
    assertEquals(3, e.line());
    assertTrue(e.getMessage().startsWith(broken + " line 3: not valid JSON"), e.getMessage());

    Path oneLabel = write("one-label.jsonl", List.of(line("a", "spam"), line("b", "spam")));
    String one =
        assertThrows(
                InvalidRequestException.class,
                () ->
                    job.run(
                        new TrainingRequest(BASE, oneLabel.toString(), "bad", null, null, null),
                        TrainingProgress.NONE))
            .getMessage();
    assertTrue(one.contains("has only one label ('spam', 2 examples)"), one);

    Path otherEval = write("other-eval.jsonl", List.of(line("a", "weather")));
    String ev =
        assertThrows(
                InvalidRequestException.class,
                () ->
                    job.run(
                        new TrainingRequest(
                            BASE, data.toString(), "bad", otherEval.toString(), null, null),
                        TrainingProgress.NONE))
            .getMessage();
    assertTrue(ev.contains("has labels [weather] that the training data"), ev);
    assertFalse(
        store.list().stream().anyMatch(id -> id.name().equals("bad")), "nothing was published");
  }

  @Test
  void estimateMeasuresThroughputAndRefusesWhatCannotFinish() throws Exception {
    TrainingRequest req = request("estimate", "{\"epochs\": 10}");
    Estimate e = job.estimate(req);
    assertEquals(48, e.trainExamples());
    assertTrue(e.meanTokens() > 8 && e.meanTokens() < 30, "mean tokens " + e.meanTokens());
    assertTrue(e.tokensPerSecond() > 0);
    assertTrue(e.embedSeconds() > 0 && e.totalSeconds() >= e.embedSeconds() + e.trainSeconds());
    assertTrue(e.fitsWithin(Duration.ofMinutes(15)), e.describe());
    Estimate unfrozen =
        job.estimate(request("estimate", "{\"unfreezeLayers\": 6, \"encoderEpochs\": 5}"));
    assertTrue(
        unfrozen.trainSeconds() > unfrozen.embedSeconds() * 10,
        "five epochs forward and backward through every layer cost more than one pass: "
            + unfrozen.describe());
    PayloadTooLargeException refused =
        assertThrows(PayloadTooLargeException.class, () -> e.requireWithin(Duration.ofMillis(1)));
    assertTrue(
        refused.getMessage().startsWith("training job refused: estimated about"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("48 training examples"), refused.getMessage());
  }
}
