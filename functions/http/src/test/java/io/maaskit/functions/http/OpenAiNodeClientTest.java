package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.testing.ModelStoreResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Node client (npm {@code openai}, with Node 20) against the local server: its
 * stream helper refuses streams whose first delta lacks the role or whose choices end without a
 * {@code finish_reason}, so a passing run shows the event stream is what OpenAI's SDKs expect. A
 * missing node or npm is a failure that says so.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class OpenAiNodeClientTest {
  static final Path WORK = Path.of("src/test/js-openai").toAbsolutePath();

  @TestHTTPResource("/v1")
  URL base;

  static String run(List<String> command, int minutes) throws Exception {
    Process p =
        new ProcessBuilder(command).directory(WORK.toFile()).redirectErrorStream(true).start();
    if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish in " + minutes + " min");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), command + " failed (needs Node.js 20+ and npm):\n" + out);
    return out;
  }

  static void install() throws Exception {
    if (!Files.isDirectory(WORK.resolve("node_modules/openai"))
        || !Files.isDirectory(WORK.resolve("node_modules/ajv"))) {
      run(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), 5);
    }
  }

  static JsonNode lastLine(String out) throws Exception {
    return new ObjectMapper().readTree(out.strip().lines().reduce((a, b) -> b).orElse(""));
  }

  /**
   * A JSON schema ({@code $defs}, {@code $ref}, {@code anyOf}, enum, arrays) and {@code
   * json_object} over 50 seeds each at temperature 1 on the tiny Llama and Qwen2 generators, and
   * forced tool calls: every output validates under ajv.
   */
  @Test
  void structuredOutputsValidateUnderAjv() throws Exception {
    install();
    String out =
        run(
            List.of(
                "node",
                "structured-client.mjs",
                base.toString(),
                ModelStoreResource.GENERATOR + "," + io.maaskit.it.TestModels.TINY_QWEN2_TOOLS,
                io.maaskit.it.TestModels.TINY_QWEN2_TOOLS
                    + ","
                    + io.maaskit.it.TestModels.TINY_LLAMA_TOOLS),
            10);
    JsonNode r = lastLine(out);
    assertEquals(50, r.get("schema").asInt(), out);
    assertEquals(50, r.get("schemaValid").asInt(), out);
    assertEquals(50, r.get("objectValid").asInt(), out);
    assertEquals(10, r.get("toolValid").asInt(), out);
  }

  @Test
  void theNodeClientChatsStreamsAndSeesTheErrors() throws Exception {
    install();
    String out =
        run(List.of("node", "openai-client.mjs", base.toString(), ModelStoreResource.GENERATOR), 3);
    JsonNode r = lastLine(out);
    assertEquals(r.get("whole").asText(), r.get("streamed").asText(), out);
    assertEquals(r.get("whole").asText(), r.get("final").asText(), out);
    assertEquals(r.get("wholeFinish").asText(), r.get("finalFinish").asText(), out);
    assertTrue(r.get("usage").get("total_tokens").asInt() > 0, out);
    assertTrue(r.get("completion").isTextual(), out);
    assertEquals(404, r.get("unknownModel").asInt(), out);
    assertEquals(400, r.get("badTemperature").asInt(), out);
  }
}
