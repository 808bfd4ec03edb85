package io.maaskit.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.testing.FunctionZips;
import io.maaskit.it.TestModels;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.OnnxCompiler;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The built {@code function.zip} itself (integration-test phase, after Quarkus packaged it): what
 * it carries, and that it serves from its own classpath alone. A child JVM gets nothing but the
 * unpacked zip (and {@link ZipHandlerRun}), as Lambda's {@code java21} runtime would, and answers
 * real API Gateway events: the encoder and a compiled generator run on ONNX Runtime (a chat
 * completion is a 200), {@code /explain} answers by occlusion on the compiled graph, and a gradient
 * explanation and a generator package without a graph are 501s that say what is missing, because
 * the zip carries no engine that runs eager networks.
 */
class FunctionZipIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path ZIP = Path.of("target", "function.zip");
  static final Path UNZIPPED = Path.of("target", "function-zip-it").toAbsolutePath();
  static final Path EVENTS = Path.of("src", "test", "resources", "events").toAbsolutePath();

  @BeforeAll
  static void unzip() throws IOException {
    assertTrue(Files.isRegularFile(ZIP), ZIP + " missing: run the package phase first");
    if (Files.exists(UNZIPPED)) {
      try (var paths = Files.walk(UNZIPPED)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    try (ZipFile zip = new ZipFile(ZIP.toFile())) {
      Enumeration<? extends ZipEntry> en = zip.entries();
      while (en.hasMoreElements()) {
        ZipEntry e = en.nextElement();
        Path out = UNZIPPED.resolve(e.getName()).normalize();
        assertTrue(out.startsWith(UNZIPPED), e.getName());
        if (e.isDirectory()) {
          Files.createDirectories(out);
        } else {
          Files.createDirectories(out.getParent());
          try (InputStream in = zip.getInputStream(e)) {
            Files.copy(in, out);
          }
        }
      }
    }
  }

  @Test
  void zipCarriesOneArchitecturesOnnxRuntimeNativesAndNoLibtorch() throws IOException {
    Assumptions.assumeFalse(FunctionZips.withPyTorch(), "built with -Dlambda.pytorch=true");
    long bytes = FunctionZips.assertOneArchitectureNoTorch(ZIP, FunctionZips.architecture());
    System.out.printf("%s: %,d bytes unzipped%n", ZIP, bytes);
  }

  static void assumeTheZipRunsHere() {
    String host = System.getProperty("os.arch");
    boolean hostRunsIt =
        FunctionZips.architecture().equals("arm64")
            ? host.equals("aarch64")
            : host.equals("amd64") || host.equals("x86_64");
    Assumptions.assumeTrue(
        hostRunsIt, "a " + FunctionZips.architecture() + " zip does not run on " + host);
    Assumptions.assumeFalse(FunctionZips.withPyTorch(), "built with -Dlambda.pytorch=true");
  }

  /** What a child JVM on the unpacked zip printed, and the Lambda responses among it. */
  record ZipRun(String out, List<JsonNode> responses) {}

  /** Runs the unpacked zip on {@code events} (API Gateway v2 event files), as Lambda would. */
  static ZipRun runZip(Path store, List<Path> events) throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        String.join(
            File.pathSeparator,
            UNZIPPED.toString(),
            UNZIPPED.resolve("lib").toString() + "/*",
            Path.of("target", "test-classes").toAbsolutePath().toString());
    List<String> cmd = new ArrayList<>(List.of(javaBin, "-cp", cp, ZipHandlerRun.class.getName()));
    events.forEach(e -> cmd.add(e.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("MAAS_MODEL_STORE", store.toString());
    pb.environment().put("MAAS_DEFAULT_MODEL", "all-minilm-l6-v2");
    pb.environment().put("MAAS_LOAD_MODE", "cache");
    pb.environment().put("MAAS_CACHE_DIR", Path.of("target", "zip-it-cache").toAbsolutePath() + "");
    pb.environment().put("DJL_CACHE_DIR", Path.of("target", "zip-it-djl").toAbsolutePath() + "");
    pb.redirectErrorStream(true);
    Process proc = pb.start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(proc.waitFor(120, TimeUnit.SECONDS), out);
    assertEquals(0, proc.exitValue(), out);
    List<JsonNode> responses = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.startsWith("RESPONSE ")) {
        responses.add(JSON.readTree(line.substring(line.indexOf(' ', 9) + 1)));
      }
    }
    assertEquals(events.size(), responses.size(), out);
    return new ZipRun(out, responses);
  }

  @Test
  void servesEncodersAndCompiledGeneratorsFromTheZipAloneOnOnnxRuntime() throws Exception {
    assumeTheZipRunsHere();
    Path store = Path.of("target", "zip-it-store").toAbsolutePath();
    boolean compiled = generatorStore(store);
    Path eagerChat = Path.of("target", "apigw-v2-chat-completion-eager.json").toAbsolutePath();
    withModel(EVENTS.resolve("apigw-v2-chat-completion.json"), EAGER_ONLY, eagerChat);
    ZipRun run =
        runZip(
            store,
            List.of(
                EVENTS.resolve("apigw-v2-embed.json"),
                EVENTS.resolve("apigw-v2-info.json"),
                EVENTS.resolve("apigw-v2-models.json"),
                EVENTS.resolve("apigw-v2-explain.json"),
                EVENTS.resolve("apigw-v2-chat-completion.json"),
                eagerChat));
    String out = run.out();
    List<JsonNode> responses = run.responses();

    JsonNode embed = responses.get(0);
    assertEquals(200, embed.get("statusCode").asInt(), out);
    JsonNode vectors = JSON.readTree(embed.get("body").asText());
    assertEquals(2, vectors.size());
    assertEquals(384, vectors.get(0).size());

    JsonNode info = JSON.readTree(responses.get(1).get("body").asText());
    JsonNode model = info.get("models").get(0);
    assertEquals("READY", model.get("state").asText(), info.toString());
    assertEquals("onnxruntime", model.get("engine").asText(), info.toString());

    JsonNode models = JSON.readTree(responses.get(2).get("body").asText());
    for (JsonNode m : models.get("data")) {
      if (m.get("name").asText().equals("all-minilm-l6-v2")) {
        assertEquals("onnxruntime", m.get("engine").asText(), m.toString());
      }
      if (m.get("name").asText().equals(EAGER_ONLY)) {
        assertFalse(m.has("engine") && !m.get("engine").isNull(), "nothing here runs it: " + m);
      }
    }

    JsonNode explain = responses.get(3);
    assertEquals(501, explain.get("statusCode").asInt(), explain.toString());
    JsonNode err = JSON.readTree(explain.get("body").asText()).get("error");
    assertEquals("not_supported", err.get("type").asText());
    assertTrue(err.get("message").asText().contains("gradients"), err.toString());

    // A generator package without a graph: a 501 that names the way out.
    JsonNode eager = responses.get(5);
    assertEquals(501, eager.get("statusCode").asInt(), eager.toString());
    JsonNode eagerErr = JSON.readTree(eager.get("body").asText()).get("error");
    assertEquals("not_supported", eagerErr.get("type").asText());
    assertTrue(eagerErr.get("message").asText().contains("scripts/compile-onnx"), eager.toString());
    assertFalse(out.contains("ai.djl.pytorch"), "nothing of PyTorch was even named:\n" + out);

    // The compiled generator answers the chat completion on ONNX Runtime.
    Assumptions.assumeTrue(compiled, "this build compiles no decoder graph (scripts/compile-onnx)");
    JsonNode chat = responses.get(4);
    assertEquals(200, chat.get("statusCode").asInt(), chat.toString());
    JsonNode completion = JSON.readTree(chat.get("body").asText());
    assertEquals("chat.completion", completion.get("object").asText(), completion.toString());
    JsonNode choice = completion.get("choices").get(0);
    assertEquals("assistant", choice.get("message").get("role").asText(), completion.toString());
    assertTrue(completion.get("usage").get("completion_tokens").asInt() > 0, completion.toString());
  }

  /** The generator package without a graph, beside the compiled one. */
  static final String EAGER_ONLY = "tiny-llama-eager";

  /**
   * A store with the encoder (its graph compiled by the importer), {@link TestModels#TINY_LLAMA}
   * with its decoder graph compiled as {@code scripts/compile-onnx} does, and {@link #EAGER_ONLY}:
   * the same generator without a graph. Returns whether the decoder graph could be compiled.
   */
  static boolean generatorStore(Path store) throws IOException {
    Path source = TestModels.storeRoot();
    Path llama = TestModels.tinyLlama();
    if (Files.exists(store)) {
      try (var paths = Files.walk(store)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    copy(source.resolve("all-minilm-l6-v2"), store.resolve("all-minilm-l6-v2"));
    Path compiled = store.resolve(TestModels.TINY_LLAMA).resolve("1");
    copy(llama, compiled);
    ModelManifest m = ModelPackage.read(compiled);
    if (m.file(EncoderGraph.FILE) == null && OnnxCompiler.supports(m)) {
      OnnxCompiler.compile(compiled, CompileOptions.defaults(), Progress.NONE);
    }
    boolean hasGraph = ModelPackage.read(compiled).file(EncoderGraph.FILE) != null;
    Path eager = store.resolve(EAGER_ONLY).resolve("1");
    Files.createDirectories(eager);
    try (var files = Files.list(llama)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (!name.equals(EncoderGraph.FILE) && !name.equals(ModelManifest.FILE)) {
          Files.copy(f, eager.resolve(name));
        }
      }
    }
    ModelPackage.seal(eager, m.withId(EAGER_ONLY, "1"));
    return hasGraph;
  }

  private static void copy(Path from, Path to) throws IOException {
    try (var paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  /** The recorded API Gateway event with another {@code model} in its JSON body. */
  static void withModel(Path event, String model, Path out) throws IOException {
    com.fasterxml.jackson.databind.node.ObjectNode e =
        (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(event.toFile());
    com.fasterxml.jackson.databind.node.ObjectNode body =
        (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(e.get("body").asText());
    body.put("model", model);
    String text = JSON.writeValueAsString(body);
    e.put("body", text);
    ((com.fasterxml.jackson.databind.node.ObjectNode) e.get("headers"))
        .put("content-length", Integer.toString(text.getBytes(StandardCharsets.UTF_8).length));
    JSON.writeValue(out.toFile(), e);
  }

  /**
   * The gradient-free method from the zip itself, on the suite's trained spam classifier: a real
   * API Gateway event answers 200 with finite word attributions computed on ONNX Runtime, and
   * deleting the words it ranks highest lowers the label's probability (ERASER comprehensiveness,
   * scored by a second run of the zip on {@code /predict}) more than deleting as many random words,
   * averaged over 10 %, 20 % and 50 % of the words and, for random, over 8 seeds.
   */
  @Test
  void explainsByOcclusionFromTheZipAloneBetterThanRandom() throws Exception {
    assumeTheZipRunsHere();
    TestModels.spamClassifier();
    Path store = TestModels.storeRoot();
    Path template = EVENTS.resolve("apigw-v2-explain-occlusion.json");
    ZipRun run = runZip(store, List.of(template));
    JsonNode res = run.responses().get(0);
    assertEquals(200, res.get("statusCode").asInt(), run.out());
    JsonNode e = JSON.readTree(res.get("body").asText()).get(0);
    assertEquals("occlusion", e.get("method").asText(), e.toString());
    assertEquals("spam", e.get("label").asText(), e.toString());
    assertFalse(run.out().contains("ai.djl.pytorch"), "nothing of PyTorch was even named");
    String text =
        JSON.readTree(JSON.readTree(Files.readString(template)).get("body").asText())
            .get("inputs")
            .asText();
    List<int[]> words = new ArrayList<>(); // [start, end] of each word
    List<Double> scores = new ArrayList<>();
    for (JsonNode t : e.get("tokens")) {
      double a = t.get("attribution").asDouble();
      assertTrue(Double.isFinite(a), t.toString());
      int start = t.get("start").asInt();
      int end = t.get("end").asInt();
      if (end > start && Character.isLetterOrDigit(text.charAt(start))) {
        words.add(new int[] {start, end});
        scores.add(a);
      }
    }
    assertTrue(words.size() >= 30, words.size() + " words");
    Integer[] ranked = new Integer[words.size()];
    for (int i = 0; i < ranked.length; i++) {
      ranked[i] = i;
    }
    java.util.Arrays.sort(ranked, (a, b) -> Double.compare(scores.get(b), scores.get(a)));
    int[] percents = {10, 20, 50};
    int seeds = 8;
    List<String> variants = new ArrayList<>(List.of(text));
    for (int k : percents) {
      int m = Math.max(1, words.size() * k / 100);
      variants.add(delete(text, words, java.util.Arrays.asList(ranked).subList(0, m)));
      for (int seed = 0; seed < seeds; seed++) {
        List<Integer> shuffled = new ArrayList<>(java.util.Arrays.asList(ranked));
        java.util.Collections.shuffle(shuffled, new java.util.Random(seed));
        variants.add(delete(text, words, shuffled.subList(0, m)));
      }
    }
    List<Path> predicts = new ArrayList<>();
    for (int i = 0; i < variants.size(); i++) {
      com.fasterxml.jackson.databind.node.ObjectNode ev =
          (com.fasterxml.jackson.databind.node.ObjectNode)
              JSON.readTree(Files.readString(template));
      String body =
          JSON.writeValueAsString(
              java.util.Map.of("inputs", variants.get(i), "model", TestModels.SPAM));
      ev.put("routeKey", "POST /predict").put("rawPath", "/predict").put("body", body);
      ((com.fasterxml.jackson.databind.node.ObjectNode) ev.get("requestContext"))
          .put("routeKey", "POST /predict");
      ((com.fasterxml.jackson.databind.node.ObjectNode) ev.get("requestContext").get("http"))
          .put("path", "/predict");
      ((com.fasterxml.jackson.databind.node.ObjectNode) ev.get("headers"))
          .put("content-length", Integer.toString(body.getBytes(StandardCharsets.UTF_8).length));
      Path f = UNZIPPED.resolveSibling("predict-" + i + ".json");
      Files.writeString(f, JSON.writeValueAsString(ev));
      predicts.add(f);
    }
    ZipRun scored = runZip(store, predicts);
    double[] p = new double[variants.size()];
    for (int i = 0; i < p.length; i++) {
      JsonNode r = scored.responses().get(i);
      assertEquals(200, r.get("statusCode").asInt(), r.toString());
      for (JsonNode ls : JSON.readTree(r.get("body").asText()).get(0)) {
        if (ls.get("label").asText().equals("spam")) {
          p[i] = ls.get("score").asDouble();
        }
      }
    }
    assertEquals(e.get("score").asDouble(), p[0], 1e-4, "the explained score is /predict's");
    double occlusion = 0;
    double random = 0;
    int at = 1;
    for (int k = 0; k < percents.length; k++) {
      occlusion += p[0] - p[at++];
      for (int seed = 0; seed < seeds; seed++) {
        random += (p[0] - p[at++]) / seeds;
      }
    }
    occlusion /= percents.length;
    random /= percents.length;
    System.out.printf(
        "zip occlusion: comprehensiveness %.4f, random %.4f (%d words)%n",
        occlusion, random, words.size());
    assertTrue(occlusion > random, "occlusion " + occlusion + " vs random " + random);
  }

  /** {@code text} without the words at {@code which} (indexes into {@code words}). */
  static String delete(String text, List<int[]> words, List<Integer> which) {
    boolean[] cut = new boolean[text.length()];
    for (int w : which) {
      java.util.Arrays.fill(cut, words.get(w)[0], words.get(w)[1], true);
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      if (!cut[i]) {
        b.append(text.charAt(i));
      }
    }
    return b.toString();
  }
}
