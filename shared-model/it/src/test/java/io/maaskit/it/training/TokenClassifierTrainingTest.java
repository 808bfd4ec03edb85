package io.maaskit.it.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.it.TestModels;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.Quantization;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.Progress;
import io.maaskit.model.task.Admission;
import io.maaskit.model.task.AggregationStrategy;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.Entity;
import io.maaskit.model.task.TokenClassificationService;
import io.maaskit.model.task.TokenClassifyRequest;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizationRejectedException;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import io.maaskit.tools.quant.TokenLogitsGate;
import io.maaskit.training.DatasetSource;
import io.maaskit.training.TrainingJob;
import io.maaskit.training.TrainingProgress;
import io.maaskit.training.TrainingRequest;
import io.maaskit.training.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token-classification fine-tuning: IOB2-tagged sentences the test builds from templates and fixed
 * lists of people, places and organisations train an entity head on a frozen all-MiniLM-L6-v2. The
 * package is a token classifier ({@code *ForTokenClassification}, served from its compiled graph),
 * and on held-out sentences whose names never occur in training (and two templates it never saw)
 * the entities {@code /predict} returns ({@code aggregation_strategy: first}) match the gold spans
 * with the stated entity-level F1: type and exact character span, scored here, not by the trainer.
 */
class TokenClassifierTrainingTest {
  static final String BASE = "all-minilm-l6-v2";
  static final String NAME = "minilm-ner-tuned";

  /**
   * Held-out micro entity F1 the fine-tune must reach; measured 0.831 (this test prints it), so a
   * regression of a few points fails.
   */
  static final double MIN_F1 = 0.80;

  @TempDir static Path tmp;

  // Names: the first part of each list trains, the rest is held out.
  static final String[] PEOPLE = {
    "Anna Berg",
    "John Smith",
    "Maria Garcia",
    "Peter Novak",
    "Laura Chen",
    "David Miller",
    "Sofia Rossi",
    "Thomas Weber",
    "Emma Johnson",
    "Lucas Martin",
    "Olga Petrova",
    "James Brown",
    "Fatima Khan",
    "Henrik Larsen",
    "Yuki Tanaka",
    "Carlos Silva",
    // held out
    "Elena Popescu",
    "Michael Davis",
    "Ingrid Nilsson",
    "Ahmed Hassan",
    "Sarah Wilson",
    "Pablo Fernandez"
  };
  static final int PEOPLE_TRAIN = 16;

  static final String[] PLACES = {
    "Paris",
    "Berlin",
    "Madrid",
    "Oslo",
    "Tokyo",
    "New York",
    "Toronto",
    "Vienna",
    "Lisbon",
    "Cairo",
    "Buenos Aires",
    "Dublin",
    "Prague",
    "Boston",
    "Warsaw",
    "Hong Kong",
    // held out
    "Stockholm",
    "Athens",
    "Seattle",
    "Nairobi",
    "Cape Town",
    "Helsinki"
  };
  static final int PLACES_TRAIN = 16;

  static final String[] ORGANISATIONS = {
    "Siemens",
    "the World Bank",
    "Nokia",
    "Unilever",
    "the Red Cross",
    "Toyota",
    "Oxfam",
    "Deutsche Bank",
    "Samsung",
    "the United Nations",
    "Shell",
    "Boeing",
    "Nestle",
    "Greenpeace",
    "Airbus",
    "Philips",
    // held out
    "Volvo",
    "the European Commission",
    "Microsoft",
    "Amnesty International",
    "Renault",
    "Intel"
  };
  static final int ORGANISATIONS_TRAIN = 16;

  /** {P} a person, {L} a place, {O} an organisation. The last two are held out. */
  static final String[] TEMPLATES = {
    "{P} works for {O} in {L} .",
    "{P} moved to {L} last year .",
    "yesterday {P} met {P} at the office of {O} .",
    "{O} opened a new factory near {L} .",
    "the meeting in {L} was chaired by {P} .",
    "{P} joined {O} after studying in {L} .",
    "according to {O} , prices in {L} rose sharply .",
    "{P} and {P} travelled from {L} to {L} .",
    "a spokesman for {O} said {P} would resign .",
    "{P} lives in {L} .",
    // held out
    "in {L} , {P} announced that {O} would hire more staff .",
    "{O} hired {P} to lead its office in {L} ."
  };

  static final int TEMPLATES_TRAIN = 10;

  /** A tagged sentence: words and IOB2 tags. */
  record Tagged(List<String> tokens, List<String> tags) {
    String text() {
      return String.join(" ", tokens);
    }
  }

  /**
   * {@code n} sentences from templates {@code [tFrom, tTo)} and the names of each list's part
   * ({@code held}: the held-out part), picked by a fixed stride so the data are the same every run.
   */
  static List<Tagged> sentences(int n, int tFrom, int tTo, boolean held, int salt) {
    List<Tagged> out = new ArrayList<>();
    int pick = salt;
    for (int i = 0; i < n; i++) {
      String template = TEMPLATES[tFrom + i % (tTo - tFrom)];
      List<String> tokens = new ArrayList<>();
      List<String> tags = new ArrayList<>();
      for (String w : template.split(" ")) {
        String[] list;
        int train;
        String type;
        switch (w) {
          case "{P}" -> {
            list = PEOPLE;
            train = PEOPLE_TRAIN;
            type = "PER";
          }
          case "{L}" -> {
            list = PLACES;
            train = PLACES_TRAIN;
            type = "LOC";
          }
          case "{O}" -> {
            list = ORGANISATIONS;
            train = ORGANISATIONS_TRAIN;
            type = "ORG";
          }
          default -> {
            tokens.add(w);
            tags.add("O");
            continue;
          }
        }
        pick = pick * 31 + 7 + i;
        int size = held ? list.length - train : train;
        String name = list[(held ? train : 0) + Math.floorMod(pick, size)];
        String[] words = name.split(" ");
        for (int k = 0; k < words.length; k++) {
          tokens.add(words[k]);
          // "the" before an organisation's name is not part of the entity.
          boolean article = k == 0 && words[k].equals("the");
          boolean first = k == 0 || (k == 1 && words[0].equals("the"));
          tags.add(article ? "O" : (first ? "B-" : "I-") + type);
        }
      }
      out.add(new Tagged(tokens, tags));
    }
    return out;
  }

  private static String jsonl(List<Tagged> sentences) throws Exception {
    ObjectMapper json = new ObjectMapper();
    StringBuilder b = new StringBuilder();
    for (Tagged s : sentences) {
      b.append(json.writeValueAsString(Map.of("tokens", s.tokens(), "tags", s.tags())))
          .append('\n');
    }
    return b.toString();
  }

  /** A gold or predicted entity: type and character span. */
  record Span(String type, int start, int end) {}

  /**
   * The gold entities of a tagged sentence as character spans of its text: a {@code B-X} word opens
   * one, following {@code I-X} words extend it (written here from the IOB2 definition).
   */
  static Set<Span> gold(Tagged s) {
    Set<Span> out = new HashSet<>();
    int pos = 0;
    String type = null;
    int start = 0;
    int end = 0;
    for (int k = 0; k < s.tokens().size(); k++) {
      String tag = s.tags().get(k);
      int wordEnd = pos + s.tokens().get(k).length();
      if (tag.startsWith("I-") && tag.substring(2).equals(type)) {
        end = wordEnd;
      } else {
        if (type != null) {
          out.add(new Span(type, start, end));
          type = null;
        }
        if (tag.startsWith("B-")) {
          type = tag.substring(2);
          start = pos;
          end = wordEnd;
        }
      }
      pos = wordEnd + 1;
    }
    if (type != null) {
      out.add(new Span(type, start, end));
    }
    return out;
  }

  private static Path root;
  private static LocalModelStore store;
  private static EagerEngine runtime;
  private static TrainingJob job;
  private static List<Tagged> held;
  private static Path trainFile;
  private static TrainingResult result;

  @BeforeAll
  static void train() throws Exception {
    root = tmp.resolve("store");
    Path target = root.resolve(BASE).resolve("1");
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(TestModels.miniLm())) {
      for (Path f : files.toList()) {
        Files.createSymbolicLink(target.resolve(f.getFileName()), f);
      }
    }
    store = new LocalModelStore(root);
    runtime = EagerEngine.start(EngineOptions.defaults());
    job = new TrainingJob(store, runtime, DatasetSource.local());
    List<Tagged> train = sentences(240, 0, TEMPLATES_TRAIN, false, 1);
    // Held out: names of the held-out parts only; every template, the two unseen ones included.
    held = sentences(72, 0, TEMPLATES.length, true, 2);
    trainFile = tmp.resolve("train.jsonl");
    Path heldFile = tmp.resolve("held-out.jsonl");
    Files.writeString(trainFile, jsonl(train));
    Files.writeString(heldFile, jsonl(held));
    result =
        job.run(
            new TrainingRequest(BASE, trainFile.toString(), NAME, heldFile.toString(), null, null),
            TrainingProgress.NONE);
  }

  @Test
  void fineTunedTokenClassifierFindsHeldOutEntities() throws Exception {
    ModelManifest m = result.manifest();
    assertEquals(ModelManifest.TASK_TOKEN_CLASSIFICATION, m.task());
    assertEquals(List.of(Capability.TOKEN_CLASSIFIER), m.capabilities());
    assertTrue(m.file("model.onnx") != null, "compiled graph");
    assertEquals(
        List.of("O", "B-LOC", "B-ORG", "B-PER", "I-LOC", "I-ORG", "I-PER"),
        m.metrics().get("labels"));
    String config = Files.readString(store.dir(m.id()).resolve("config.json"));
    assertTrue(config.contains("BertForTokenClassification"), config);

    // Scored here: the served entities against the gold spans, micro-averaged.
    double f1;
    try (ModelRegistry registry = TestModels.servingRegistry(root, "ner-train-cache")) {
      TokenClassificationService svc =
          new TokenClassificationService(registry, null, held.size(), Admission.unlimited());
      List<List<Entity>> found =
          svc.entities(
                  new TokenClassifyRequest(
                      m.id().toString(),
                      held.stream().map(Tagged::text).toList(),
                      AggregationStrategy.FIRST,
                      null),
                  Cancellation.NONE)
              .entities();
      int tp = 0;
      int predicted = 0;
      int expected = 0;
      for (int i = 0; i < held.size(); i++) {
        Set<Span> g = gold(held.get(i));
        Set<Span> p = new HashSet<>();
        for (Entity e : found.get(i)) {
          p.add(new Span(e.label(), e.start(), e.end()));
        }
        expected += g.size();
        predicted += p.size();
        for (Span s : p) {
          tp += g.contains(s) ? 1 : 0;
        }
      }
      double precision = predicted == 0 ? 0 : (double) tp / predicted;
      double recall = (double) tp / expected;
      f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
      System.out.printf(
          "token-classifier fine-tune: held-out entity F1 %.4f (precision %.4f, recall %.4f,"
              + " %d gold entities in %d sentences; %.1f s training job)%n",
          f1, precision, recall, expected, held.size(), result.totalSeconds());
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> ev = (Map<String, Object>) m.metrics().get("evaluation");
    System.out.println("trainer's own evaluation: " + ev);
    assertTrue(f1 >= MIN_F1, "held-out entity F1 " + f1 + " below " + MIN_F1);
    // The trainer's figure is computed on PyTorch from the words' first tokens, ours on ONNX
    // Runtime through the pipeline's aggregation: the two agree closely, not exactly.
    assertEquals(f1, ((Number) ev.get("f1")).doubleValue(), 0.05);
  }

  @Test
  void badTaggedDataAndTextClassifierOptionsAreRefused() throws Exception {
    Path ragged = tmp.resolve("ragged.jsonl");
    Files.writeString(ragged, "{\"tokens\": [\"Anna\", \"sings\"], \"tags\": [\"B-PER\"]}\n");
    Exception e =
        assertThrows(
            Exception.class,
            () ->
                job.run(TrainingRequest.of(BASE, ragged.toString(), "bad"), TrainingProgress.NONE));
    assertTrue(
        e.getMessage().contains("line 1") && e.getMessage().contains("2 tokens but 1 tags"),
        e.getMessage());
    InvalidRequestException p =
        assertThrows(
            InvalidRequestException.class,
            () ->
                job.run(
                    new TrainingRequest(BASE, trainFile.toString(), "bad", null, "PER", null),
                    TrainingProgress.NONE));
    assertTrue(p.getMessage().contains("positiveLabel"), p.getMessage());
  }

  /**
   * The trained token classifier sets the token-logits gate's thresholds: its int8 package passes
   * them with the figures recorded in the manifest, and a gate set just above what it measured
   * refuses it, naming the figures, and writes nothing.
   */
  @Test
  void int8OfTheTrainedClassifierIsGatedOnItsTokenLogits() throws Exception {
    Path fp32 = store.dir(result.manifest().id());
    // One fixed kernel (blockwise) keeps the test to one compiled graph per quantization; the
    // calibrated default searches per layer first.
    QuantizeOptions options =
        QuantizeOptions.defaults()
            .withCalibration(CalibrationSet.calibration().sample(32))
            .withGraph(
                new CompileOptions(
                    CompileOptions.Int8Kernel.BLOCKWISE, CompileOptions.DEFAULT_BLOCK_SIZE));
    Path int8 = tmp.resolve("int8").resolve(NAME + "-int8").resolve("1");
    Quantizer quantizer = new Quantizer(runtime);
    Quantizer.Result r = quantizer.quantize(fp32, int8, options, Progress.NONE);
    Quantization q = r.manifest().quantization();
    System.out.printf(
        "trained token classifier int8: worst token-logit cosine %.6f, label agreement %.6f"
            + " (gate %.2f / %.2f), pooled min cosine %.6f%n",
        q.minTokenCosine(),
        q.tokenAgreement(),
        TokenLogitsGate.DEFAULT_MIN_COSINE,
        TokenLogitsGate.DEFAULT_MIN_AGREEMENT,
        q.minCosine());
    assertEquals(List.of(Capability.TOKEN_CLASSIFIER), r.manifest().capabilities());
    assertTrue(q.minTokenCosine() >= TokenLogitsGate.DEFAULT_MIN_COSINE, q.toString());
    assertTrue(q.tokenAgreement() >= TokenLogitsGate.DEFAULT_MIN_AGREEMENT, q.toString());
    assertTrue(q.minTokenCosine() < 1, "int8 moves the logits: " + q);

    // Just above the measured worst cosine: refused, and the message names both figures.
    double strict = q.minTokenCosine() + 1e-5;
    Path refused = tmp.resolve("int8-strict").resolve(NAME + "-int8").resolve("1");
    QuantizationRejectedException x =
        assertThrows(
            QuantizationRejectedException.class,
            () ->
                quantizer.quantize(
                    fp32,
                    refused,
                    options.withTokenGate(strict, TokenLogitsGate.DEFAULT_MIN_AGREEMENT),
                    Progress.NONE));
    TokenLogitsGate.Result t = x.tokenResult();
    assertTrue(t != null && !t.passed(), x.getMessage());
    assertEquals(q.minTokenCosine(), t.worstCosine(), 1e-6, "the same graph, the same figure");
    assertTrue(x.getMessage().contains("token-logits gate"), x.getMessage());
    assertTrue(x.getMessage().contains(String.format("%.5f", t.worstCosine())), x.getMessage());
    assertTrue(x.getMessage().contains(String.format("%.5f", t.agreement())), x.getMessage());
    assertTrue(!Files.exists(refused.resolve(ModelManifest.FILE)), "no package written");
  }
}
