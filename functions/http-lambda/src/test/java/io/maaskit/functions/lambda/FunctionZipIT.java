package io.maaskit.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.testing.FunctionZips;
import io.maaskit.it.TestModels;
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
 * real API Gateway events: the model runs on ONNX Runtime, {@code /explain} and a chat completion
 * (decoders run on PyTorch) are 501s, because the zip carries no PyTorch.
 */
class FunctionZipIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path ZIP = Path.of("target", "function.zip");
  static final Path UNZIPPED = Path.of("target", "function-zip-it").toAbsolutePath();

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

  @Test
  void servesFromTheZipAloneOnOnnxRuntimeAndRefusesExplanations() throws Exception {
    String host = System.getProperty("os.arch");
    boolean hostRunsIt =
        FunctionZips.architecture().equals("arm64")
            ? host.equals("aarch64")
            : host.equals("amd64") || host.equals("x86_64");
    Assumptions.assumeTrue(
        hostRunsIt, "a " + FunctionZips.architecture() + " zip does not run on " + host);
    Assumptions.assumeFalse(FunctionZips.withPyTorch(), "built with -Dlambda.pytorch=true");
    TestModels.tinyLlama();
    Path store = TestModels.storeRoot();
    Path events = Path.of("src", "test", "resources", "events").toAbsolutePath();
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        String.join(
            File.pathSeparator,
            UNZIPPED.toString(),
            UNZIPPED.resolve("lib").toString() + "/*",
            Path.of("target", "test-classes").toAbsolutePath().toString());
    ProcessBuilder pb =
        new ProcessBuilder(
            javaBin,
            "-cp",
            cp,
            ZipHandlerRun.class.getName(),
            events.resolve("apigw-v2-embed.json").toString(),
            events.resolve("apigw-v2-info.json").toString(),
            events.resolve("apigw-v2-models.json").toString(),
            events.resolve("apigw-v2-explain.json").toString(),
            events.resolve("apigw-v2-chat-completion.json").toString());
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
    assertEquals(5, responses.size(), out);

    JsonNode embed = responses.get(0);
    assertEquals(200, embed.get("statusCode").asInt(), out);
    JsonNode vectors = JSON.readTree(embed.get("body").asText());
    assertEquals(2, vectors.size());
    assertEquals(384, vectors.get(0).size());

    JsonNode info = JSON.readTree(responses.get(1).get("body").asText());
    JsonNode model = info.get("models").get(0);
    assertEquals("READY", model.get("state").asText(), info.toString());
    assertEquals("onnxruntime (cpu())", model.get("engine").asText(), info.toString());

    JsonNode models = JSON.readTree(responses.get(2).get("body").asText());
    for (JsonNode m : models.get("data")) {
      if (m.get("name").asText().equals("all-minilm-l6-v2")) {
        assertEquals("onnxruntime", m.get("engine").asText(), m.toString());
      }
    }

    JsonNode explain = responses.get(3);
    assertEquals(501, explain.get("statusCode").asInt(), explain.toString());
    JsonNode err = JSON.readTree(explain.get("body").asText()).get("error");
    assertEquals("not_supported", err.get("type").asText());
    assertTrue(err.get("message").asText().contains("PyTorch"), err.toString());

    // Decoders run on PyTorch only: the default zip refuses a generator with the way out.
    JsonNode chat = responses.get(4);
    assertEquals(501, chat.get("statusCode").asInt(), chat.toString());
    JsonNode chatErr = JSON.readTree(chat.get("body").asText()).get("error");
    assertEquals("not_supported", chatErr.get("type").asText());
    assertTrue(
        chatErr.get("message").asText().contains("-Dlambda.pytorch=true"), chatErr.toString());
    assertFalse(out.contains("ai.djl.pytorch"), "nothing of PyTorch was even named:\n" + out);
  }
}
