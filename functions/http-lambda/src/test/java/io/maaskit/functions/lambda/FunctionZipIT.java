package io.maaskit.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The built {@code function.zip} itself (integration-test phase, after Quarkus packaged it): what
 * it carries, and that it serves from its own classpath alone. A child JVM gets nothing but the
 * unpacked zip (and {@link ZipHandlerRun}), as Lambda's {@code java21} runtime would, and answers
 * real API Gateway events: the model runs on ONNX Runtime, {@code /explain} is a 501, because the
 * zip carries no PyTorch.
 */
class FunctionZipIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path ZIP = Path.of("target", "function.zip");
  static final Path UNZIPPED = Path.of("target", "function-zip-it").toAbsolutePath();

  /** Lambda's limit is 250 MB unzipped; the ONNX Runtime zips aim at under 80 MB. */
  static final long MAX_UNZIPPED_BYTES = 80L * 1000 * 1000;

  /** {@code linux-x64} or {@code linux-aarch64}: what {@code -Dlambda.architecture} selected. */
  static String ortPlatform() {
    return System.getProperty("lambda.architecture", "x86_64").equals("arm64")
        ? "linux-aarch64"
        : "linux-x64";
  }

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
    long unzipped = 0;
    List<String> natives = new ArrayList<>();
    try (ZipFile zip = new ZipFile(ZIP.toFile())) {
      for (ZipEntry e : java.util.Collections.list(zip.entries())) {
        unzipped += Math.max(0, e.getSize());
        assertFalse(e.getName().toLowerCase().contains("torch"), e.getName());
        assertFalse(
            e.getName().startsWith("lib/com.microsoft.onnxruntime.onnxruntime-"),
            "the all-platform ONNX Runtime jar: " + e.getName());
        if (e.getName().endsWith(".jar")) {
          try (ZipInputStream jar = new ZipInputStream(zip.getInputStream(e))) {
            for (ZipEntry j; (j = jar.getNextEntry()) != null; ) {
              String n = j.getName();
              assertFalse(n.contains("libtorch") || n.contains("djl_torch"), e + "!" + n);
              if (n.endsWith(".so") || n.endsWith(".dylib") || n.endsWith(".dll")) {
                natives.add(n);
              }
            }
          }
        }
      }
    }
    String p = ortPlatform();
    assertTrue(natives.contains("ai/onnxruntime/native/" + p + "/libonnxruntime.so"), natives + "");
    assertEquals(
        1, natives.stream().filter(n -> n.endsWith("/libonnxruntime.so")).count(), natives + "");
    String tokenizers = p.equals("linux-x64") ? "linux-x86_64" : "linux-aarch64";
    assertEquals(
        List.of(
            "ai/onnxruntime/native/" + p + "/libonnxruntime.so",
            "ai/onnxruntime/native/" + p + "/libonnxruntime4j_jni.so",
            "native/lib/" + tokenizers + "/cpu/libtokenizers.so"),
        natives.stream()
            .filter(n -> n.startsWith("ai/onnxruntime/") || n.startsWith("native/lib/"))
            .sorted()
            .toList(),
        "only this architecture's ONNX Runtime and tokenizer natives");
    assertTrue(
        unzipped < MAX_UNZIPPED_BYTES,
        "unzipped " + unzipped + " bytes, over " + MAX_UNZIPPED_BYTES);
  }

  @Test
  void servesFromTheZipAloneOnOnnxRuntimeAndRefusesExplanations() throws Exception {
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
            events.resolve("apigw-v2-explain.json").toString());
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
    assertEquals(4, responses.size(), out);

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
    assertFalse(out.contains("ai.djl.pytorch"), "nothing of PyTorch was even named:\n" + out);
  }
}
