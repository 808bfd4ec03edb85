package io.maaskit.infra;

import static io.maaskit.infra.InfraTestSupport.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code @aws/cloudformation-validate} (installed by {@code npm ci} from
 * infra/package-lock.json) through {@code infra/validate/validate-templates.js} over
 * sam-template.yaml and every synthesized template.
 */
class CloudFormationValidateTest {

  static final Path SCRIPT =
      NodeTooling.MODULE_DIR.resolve("validate").resolve("validate-templates.js");
  static final Path NEGATIVE_DIR =
      NodeTooling.MODULE_DIR.resolve("target").resolve("validate-negative");

  @BeforeAll
  static void install() {
    NodeTooling.npmCi();
  }

  record Validation(int exitCode, JsonNode report, String raw) {
    JsonNode result(Path file) {
      for (JsonNode r : report.path("results")) {
        if (Path.of(r.path("file").asText())
            .toAbsolutePath()
            .normalize()
            .equals(file.toAbsolutePath().normalize())) {
          return r;
        }
      }
      throw new AssertionError("no result for " + file + " in " + raw);
    }
  }

  static Validation validate(List<Path> files) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("node", SCRIPT.toString(), "--json"));
    files.forEach(f -> cmd.add(f.toString()));
    var r = NodeTooling.run(cmd, NodeTooling.MODULE_DIR, Duration.ofMinutes(3));
    String out = r.output();
    int start = out.indexOf('{');
    if (start < 0) {
      throw new AssertionError("validator printed no JSON (exit " + r.exitCode() + "):\n" + out);
    }
    return new Validation(r.exitCode(), NodeTooling.JSON.readTree(out.substring(start)), out);
  }

  @Test
  void samTemplateAndEverySynthesizedTemplateHaveNoErrors() throws IOException {
    List<Path> files = new ArrayList<>();
    files.add(SamTemplateTest.SAM);
    files.addAll(InfraTestSupport.defaults().templateFiles());
    files.addAll(InfraTestSupport.jwt().templateFiles());
    files.addAll(InfraTestSupport.anonymous().templateFiles());
    Validation v = validate(files);

    Map<String, String> summary = new LinkedHashMap<>();
    for (JsonNode r : v.report().path("results")) {
      summary.put(
          NodeTooling.MODULE_DIR
              .relativize(Path.of(r.path("file").asText()).toAbsolutePath().normalize())
              .toString(),
          "resources="
              + r.path("resourcesScanned").asInt()
              + " errors="
              + r.path("errors").asInt()
              + " warnings="
              + r.path("warnings").asInt());
    }
    System.out.println(
        "cloudformation-validate " + v.report().path("validator").asText() + ": " + summary);

    assertEquals(files.size(), v.report().path("results").size());
    for (Path f : files) {
      JsonNode r = v.result(f);
      assertEquals(0, r.path("errors").asInt(), f + ":\n" + r.path("diagnostics").toPrettyString());
      assertEquals("OK", r.path("status").asText(), f.toString());
      assertTrue(
          r.path("resourcesScanned").asInt() >= 20, f + " scanned " + r.path("resourcesScanned"));
    }
    assertFalse(v.report().path("failed").asBoolean());
    assertEquals(0, v.exitCode(), v.raw());
    // exactly the SAM-generated alias refs are excused in sam-template.yaml, nothing else: the
    // HTTP API's integration and permission, the streaming REST API's two methods and permission
    assertEquals(5, v.result(SamTemplateTest.SAM).path("samRefsAccepted").asInt());
  }

  @Test
  void brokenCdkTemplateIsRejected() throws IOException {
    Path source = InfraTestSupport.defaults().templateFile("MaasServerlessStack");
    Map<String, Object> tpl = map(NodeTooling.JSON.readValue(source.toFile(), Map.class));
    Map<String, Object> resources = map(tpl.get("Resources"));
    String fnId =
        resources.keySet().stream()
            .filter(
                k ->
                    k.startsWith("HttpFunction")
                        && "AWS::Lambda::Function".equals(map(resources.get(k)).get("Type")))
            .findFirst()
            .orElseThrow();
    map(map(resources.get(fnId)).get("Properties"))
        .put("SnapStartt", Map.of("ApplyOn", "PublishedVersions"));
    String queueId =
        resources.keySet().stream()
            .filter(
                k ->
                    k.startsWith("JobsQueue")
                        && "AWS::SQS::Queue".equals(map(resources.get(k)).get("Type")))
            .findFirst()
            .orElseThrow();
    map(map(resources.get(queueId)).get("Properties"))
        .put("VisibilityTimeout", Map.of("Ref", "NoSuchParameter"));

    Files.createDirectories(NEGATIVE_DIR);
    Path broken = NEGATIVE_DIR.resolve("broken-serverless.template.json");
    NodeTooling.JSON.writerWithDefaultPrettyPrinter().writeValue(broken.toFile(), tpl);

    Validation v = validate(List.of(broken));
    assertEquals(1, v.exitCode(), v.raw());
    JsonNode r = v.result(broken);
    String diagnostics = r.path("diagnostics").toString();
    assertTrue(r.path("errors").asInt() >= 2, diagnostics);
    assertTrue(diagnostics.contains("SnapStartt"), diagnostics);
    assertTrue(diagnostics.contains("NoSuchParameter"), diagnostics);
  }

  @Test
  void brokenSamTemplateIsRejected() throws IOException {
    String sam = Files.readString(SamTemplateTest.SAM);
    String broken =
        sam.replaceFirst("Ref: HttpFunction\\.Alias", "Ref: HttpFunctionTypo.Alias")
            .replace(
                "VisibilityTimeout: 720",
                "VisibilityTimeout: 720\n      VisibilityTimeoutSeconds: 720");
    assertTrue(!broken.equals(sam));
    Files.createDirectories(NEGATIVE_DIR);
    Path file = NEGATIVE_DIR.resolve("broken-sam-template.yaml");
    Files.writeString(file, broken);

    Validation v = validate(List.of(file));
    assertEquals(1, v.exitCode(), v.raw());
    JsonNode r = v.result(file);
    String diagnostics = r.path("diagnostics").toString();
    assertTrue(
        diagnostics.contains("HttpFunctionTypo.Alias"),
        "typo in a SAM ref must not be excused: " + diagnostics);
    assertTrue(diagnostics.contains("VisibilityTimeoutSeconds"), diagnostics);
    assertEquals(
        4, r.path("samRefsAccepted").asInt(), "only the remaining valid alias refs are excused");
  }
}
