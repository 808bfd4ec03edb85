package io.maaskit.it.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.ReferenceBert;
import io.maaskit.it.TestModels;
import io.maaskit.it.TinyEncoders;
import io.maaskit.it.TinyEncoders.Family;
import io.maaskit.it.TinyEncoders.Head;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.Pooling;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Tiny random RoBERTa, XLM-RoBERTa and DistilBERT checkpoints in Hugging Face layout ({@link
 * TinyEncoders}: the bare model, a two-label classifier, a one-label cross-encoder) import by
 * {@code model_type} and {@code architectures}, and their vectors, probabilities and scores equal
 * the independent double-precision {@link ReferenceBert} on PyTorch (the eager network, from the
 * safetensors) and on ONNX Runtime (the compiled graph), alone and in padded batches.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EncoderFamiliesParityTest {
  private static final List<String> TEXTS =
      List.of(
          "the cat sat on the mat.",
          "What is a dog?",
          "how to cook rice, boil water in a pan",
          "zebra xylophone",
          "the dog runs in the park. the cat sat on the mat. how to boil water?");

  private EagerEngine pytorch;
  private Engine ort;

  @BeforeAll
  void engines() {
    pytorch = OrtFixtures.pytorch();
    ort = OrtFixtures.onnxRuntime();
  }

  /** The usable positions: the table's 26 rows, less RoBERTa's offset of pad_token_id + 1 = 2. */
  private static int context(Family f) {
    return f == Family.DISTILBERT ? TinyEncoders.POSITIONS : TinyEncoders.POSITIONS - 2;
  }

  private static String architecture(Family f) {
    return f == Family.DISTILBERT ? "distilbert" : "roberta";
  }

  @ParameterizedTest
  @EnumSource(Family.class)
  void importsByModelTypeAndArchitectures(Family f) throws Exception {
    ModelManifest encoder = ModelPackage.read(TestModels.tinyEncoder(f, Head.NONE));
    ModelManifest classifier = ModelPackage.read(TestModels.tinyEncoder(f, Head.CLASSIFIER));
    ModelManifest reranker = ModelPackage.read(TestModels.tinyEncoder(f, Head.RERANKER));
    for (ModelManifest m : List.of(encoder, classifier, reranker)) {
      assertEquals(architecture(f), m.architecture());
      assertEquals(context(f), m.maxSequenceLength(), "positions less the offset");
      assertTrue(m.file("model.onnx") != null, "compiled graph");
    }
    assertEquals(List.of(Capability.ENCODER), encoder.capabilities());
    assertEquals(List.of(Capability.ENCODER, Capability.CLASSIFIER), classifier.capabilities());
    assertEquals(List.of(Capability.RERANKER), reranker.capabilities());
  }

  @Test
  void tokenizersFrameSinglesAndPairsAsTheFamiliesDo() throws Exception {
    try (LoadedModel roberta =
            OrtFixtures.load(TestModels.tinyEncoder(Family.ROBERTA, Head.RERANKER), ort);
        LoadedModel xlmr =
            OrtFixtures.load(TestModels.tinyEncoder(Family.XLM_ROBERTA, Head.RERANKER), ort);
        LoadedModel distil =
            OrtFixtures.load(TestModels.tinyEncoder(Family.DISTILBERT, Head.RERANKER), ort)) {
      // Byte-level BPE: "the", "Ġcat", "Ġsat" are whole tokens after the merges; <s> 0, </s> 2,
      // and a pair is <s> A </s></s> B </s>.
      for (LoadedModel m : List.of(roberta, xlmr)) {
        TextScorer s = (TextScorer) m;
        Tokens single = s.tokenize("the cat sat");
        assertEquals(5, single.length(), m.manifest().id() + ": <s> the cat sat </s>");
        assertEquals(0, single.ids()[0]);
        assertEquals(2, single.ids()[4]);
        long[] pair = s.tokenizePair("the cat", "the dog").tokens().ids();
        assertEquals(8, pair.length, m.manifest().id() + ": <s> the cat </s></s> the dog </s>");
        assertArrayEquals(new long[] {0, 2, 2, 2}, new long[] {pair[0], pair[3], pair[4], pair[7]});
      }
      // WordPiece as BERT's: [CLS] 2, [SEP] 3; "cat" is id 7 in TinyBert's vocabulary.
      long[] pair = ((TextScorer) distil).tokenizePair("the cat", "the dog").tokens().ids();
      assertArrayEquals(new long[] {2, 9, 7, 3, 9, 8, 3}, pair);
    }
  }

  @ParameterizedTest
  @EnumSource(Family.class)
  void rerankerScoresEqualTheReferenceOnBothEngines(Family f) throws Exception {
    Path dir = TestModels.tinyEncoder(f, Head.RERANKER);
    ReferenceBert reference =
        new ReferenceBert(TestModels.tinyHfDir(TestModels.tinyEncoderName(f, Head.RERANKER)));
    try (LoadedModel eager = OrtFixtures.load(dir, pytorch);
        LoadedModel graph = OrtFixtures.load(dir, ort)) {
      assertTrue(eager instanceof Explainable, "PyTorch runs the eager network");
      assertFalse(graph instanceof Explainable, "ONNX Runtime runs the compiled graph");
      for (LoadedModel m : List.of(eager, graph)) {
        TextScorer s = (TextScorer) m;
        List<Tokens> batch = new ArrayList<>();
        for (int i = 0; i < TEXTS.size(); i++) {
          batch.add(s.tokenizePair(TEXTS.get(i), TEXTS.get((i + 1) % TEXTS.size())).tokens());
        }
        float[][] together = s.score(batch);
        double spread = 0;
        for (int i = 0; i < batch.size(); i++) {
          double expected = reference.logits(batch.get(i).ids(), batch.get(i).typeIds())[0];
          String what = f + " " + m.engine().name() + " pair " + i;
          assertEquals(expected, together[i][0], 1e-4, what + " in a padded batch");
          assertEquals(expected, s.score(List.of(batch.get(i)))[0][0], 1e-4, what + " alone");
          spread = Math.max(spread, Math.abs(expected - together[0][0]));
        }
        assertTrue(spread > 1e-3, "the random head tells pairs apart");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Family.class)
  void classifierProbabilitiesEqualTheReferenceOnBothEngines(Family f) throws Exception {
    Path dir = TestModels.tinyEncoder(f, Head.CLASSIFIER);
    ReferenceBert reference =
        new ReferenceBert(TestModels.tinyHfDir(TestModels.tinyEncoderName(f, Head.CLASSIFIER)));
    try (LoadedModel eager = OrtFixtures.load(dir, pytorch);
        LoadedModel graph = OrtFixtures.load(dir, ort)) {
      for (LoadedModel m : List.of(eager, graph)) {
        TextClassifier c = (TextClassifier) m;
        assertEquals(List.of("negative", "positive"), c.labels());
        List<Tokens> batch = TEXTS.stream().map(c::tokenize).toList();
        float[][] p = c.classify(batch);
        for (int i = 0; i < batch.size(); i++) {
          double[] logits = reference.logits(batch.get(i).ids(), batch.get(i).typeIds());
          double z = Math.exp(logits[0]) + Math.exp(logits[1]);
          String what = f + " " + m.engine().name() + " text " + i;
          assertEquals(Math.exp(logits[0]) / z, p[i][0], 1e-5, what);
          assertEquals(Math.exp(logits[1]) / z, p[i][1], 1e-5, what);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Family.class)
  void embeddingsEqualTheReferenceOnBothEngines(Family f) throws Exception {
    Path dir = TestModels.tinyEncoder(f, Head.NONE);
    ReferenceBert reference =
        new ReferenceBert(TestModels.tinyHfDir(TestModels.tinyEncoderName(f, Head.NONE)));
    try (LoadedModel eager = OrtFixtures.load(dir, pytorch);
        LoadedModel graph = OrtFixtures.load(dir, ort)) {
      for (LoadedModel m : List.of(eager, graph)) {
        TextEncoder e = (TextEncoder) m;
        List<Tokens> batch = TEXTS.stream().map(e::tokenize).toList();
        float[][] v = e.encode(batch, Pooling.MEAN, false);
        for (int i = 0; i < batch.size(); i++) {
          double[] expected = reference.meanPooled(batch.get(i).ids(), batch.get(i).typeIds());
          for (int d = 0; d < expected.length; d++) {
            assertEquals(expected[d], v[i][d], 1e-4, f + " " + m.engine().name() + " text " + i);
          }
        }
      }
    }
  }

  @Test
  void unknownModelTypesAndMissingTensorsAreRefusedNamingWhatIsWrong() throws Exception {
    Path src = TestModels.tinyEncoder(Family.ROBERTA, Head.NONE);
    Path root = Files.createTempDirectory("encoder-refusals");

    Path missing =
        copy(src, root.resolve("missing-key").resolve(src.getParent().getFileName()).resolve("1"));
    Map<String, Safetensors.Tensor> t =
        new LinkedHashMap<>(Safetensors.read(missing.resolve("model.safetensors")));
    String key = "encoder.layer.1.attention.self.key.weight";
    assertTrue(t.remove(key) != null);
    Safetensors.write(missing.resolve("model.safetensors"), t, Map.of("format", "pt"));
    ModelPackage.seal(missing, ModelPackage.read(missing));
    Exception e = assertThrows(Exception.class, () -> OrtFixtures.load(missing, pytorch).close());
    assertTrue(messages(e).contains(key), messages(e));

    Path unknown =
        copy(src, root.resolve("unknown-type").resolve(src.getParent().getFileName()).resolve("1"));
    String config = Files.readString(unknown.resolve("config.json"));
    Files.writeString(unknown.resolve("config.json"), config.replace("\"roberta\"", "\"funnel\""));
    ModelPackage.seal(unknown, ModelPackage.read(unknown));
    for (Engine engine : List.of(pytorch, ort)) {
      Exception u = assertThrows(Exception.class, () -> OrtFixtures.load(unknown, engine).close());
      assertTrue(messages(u).contains("unsupported model_type 'funnel'"), messages(u));
    }

    // The importer refuses the same directory by its model_type, listing what it supports.
    Path hf =
        copy(
            TestModels.tinyHfDir(TestModels.tinyEncoderName(Family.ROBERTA, Head.NONE)),
            root.resolve("hf-funnel"));
    Files.writeString(hf.resolve("config.json"), config.replace("\"roberta\"", "\"funnel\""));
    Exception i =
        assertThrows(
            java.io.IOException.class,
            () ->
                io.maaskit.tools.importer.HfDirectoryImporter.importModel(
                    hf,
                    root.resolve("out"),
                    new io.maaskit.tools.importer.ImportOptions("x", "1", null, false, null),
                    io.maaskit.model.store.Progress.NONE));
    assertTrue(i.getMessage().contains("unsupported model_type 'funnel'"), i.getMessage());
    assertTrue(i.getMessage().contains("xlm-roberta"), i.getMessage());
    assertTrue(i.getMessage().contains("distilbert"), i.getMessage());
  }

  private static Path copy(Path from, Path to) throws java.io.IOException {
    Files.createDirectories(to);
    try (java.util.stream.Stream<Path> s = Files.list(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName()));
      }
    }
    return to;
  }

  private static String messages(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = e; c != null; c = c.getCause()) {
      b.append(c.getMessage()).append(" | ");
    }
    return b.toString();
  }
}
