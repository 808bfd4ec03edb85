package io.maaskit.functions.lambda;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.functions.routes.Routes;
import io.maaskit.functions.testing.ModelStoreResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Real API Gateway HTTP API (payload format 2.0) request events, pushed through Quarkus's Lambda
 * mock event server into the handler; asserts the Lambda response events.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class ApiGatewayEventsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Posts a raw event to the mock event server and returns the raw Lambda response. */
  static JsonNode invoke(String eventFile) throws Exception {
    return invoke(event(eventFile));
  }

  static byte[] event(String eventFile) throws Exception {
    try (InputStream in = ApiGatewayEventsTest.class.getResourceAsStream("/events/" + eventFile)) {
      return in.readAllBytes();
    }
  }

  static JsonNode invoke(byte[] event) throws Exception {
    int port =
        ConfigProvider.getConfig()
            .getValue("quarkus.lambda.mock-event-server.test-port", Integer.class);
    String response =
        given()
            .contentType("application/json")
            .body(event)
            .post("http://localhost:" + port + "/_lambda_")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    return JSON.readTree(response);
  }

  static JsonNode body(JsonNode response) throws Exception {
    String b = response.get("body").asText();
    if (response.path("isBase64Encoded").asBoolean(false)) {
      b = new String(Base64.getDecoder().decode(b), java.nio.charset.StandardCharsets.UTF_8);
    }
    return JSON.readTree(b);
  }

  @Test
  void embedEventReturnsUnitVectors() throws Exception {
    JsonNode r = invoke("apigw-v2-embed.json");
    assertEquals(200, r.get("statusCode").asInt());
    assertTrue(
        r.path("headers").path("Content-Type").asText().startsWith("application/json")
            || r.path("multiValueHeaders").toString().contains("application/json"),
        r.toString());
    JsonNode vectors = body(r);
    assertEquals(2, vectors.size());
    assertEquals(384, vectors.get(0).size());
    double n = 0;
    for (JsonNode x : vectors.get(0)) {
      n += x.asDouble() * x.asDouble();
    }
    assertEquals(1.0, Math.sqrt(n), 1e-4);
  }

  @Test
  void base64EncodedOpenAiRequestWithBase64Output() throws Exception {
    JsonNode r = invoke("apigw-v2-openai-base64body.json");
    assertEquals(200, r.get("statusCode").asInt(), r.toString());
    JsonNode b = body(r);
    assertEquals("list", b.get("object").asText());
    assertEquals(2, b.get("data").size());
    byte[] raw = Base64.getDecoder().decode(b.get("data").get(1).get("embedding").asText());
    assertEquals(384 * 4, raw.length);
    ByteBuffer f = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    double n = 0;
    for (int i = 0; i < 384; i++) {
      float x = f.getFloat();
      n += x * x;
    }
    assertEquals(1.0, Math.sqrt(n), 1e-4);
  }

  @Test
  void modelsEvent() throws Exception {
    JsonNode r = invoke("apigw-v2-models.json");
    assertEquals(200, r.get("statusCode").asInt());
    assertTrue(body(r).get("data").toString().contains("all-minilm-l6-v2"));
    for (JsonNode m : body(r).get("data")) {
      if (m.get("name").asText().equals("all-minilm-l6-v2")) {
        assertEquals("onnxruntime", m.get("engine").asText(), m.toString());
      }
    }
  }

  /**
   * On a CPU a package with a compiled graph serves on ONNX Runtime (MAAS_ENGINE=auto), as it does
   * from the zip, which carries no PyTorch; /info names the engine of the loaded model.
   */
  @Test
  void theServedModelRunsOnOnnxRuntime() throws Exception {
    assertEquals(200, invoke("apigw-v2-embed.json").get("statusCode").asInt());
    JsonNode info = body(invoke("apigw-v2-info.json"));
    JsonNode served = null;
    for (JsonNode m : info.get("models")) {
      if (m.get("model").asText().startsWith("all-minilm-l6-v2@")) {
        served = m;
      }
    }
    assertTrue(served != null, info.toString());
    assertEquals("READY", served.get("state").asText(), served.toString());
    assertEquals("onnxruntime", served.get("engine").asText(), served.toString());
  }

  @Test
  void badInputIs400WithTheSameJsonAsLocally() throws Exception {
    JsonNode r = invoke("apigw-v2-bad-input.json");
    assertEquals(400, r.get("statusCode").asInt());
    JsonNode err = body(r).get("error");
    assertEquals(400, err.get("status").asInt());
    assertTrue(
        err.get("message").asText().contains("'inputs' must not be an empty array"),
        err.toString());
  }

  @Test
  void malformedJsonIs400() throws Exception {
    JsonNode r = invoke("apigw-v2-malformed.json");
    assertEquals(400, r.get("statusCode").asInt());
    assertTrue(body(r).get("error").get("message").asText().contains("not valid JSON"));
  }

  @Test
  void trailingContentAfterTheJsonIs400() throws Exception {
    JsonNode r = invoke("apigw-v2-trailing.json");
    assertEquals(400, r.get("statusCode").asInt());
    assertTrue(body(r).get("error").get("message").asText().contains("not valid JSON"));
  }

  @Test
  void unknownModelIs404() throws Exception {
    JsonNode r = invoke("apigw-v2-unknown-model.json");
    assertEquals(404, r.get("statusCode").asInt());
    assertFalse(body(r).get("error").get("message").asText().isEmpty());
  }

  @Test
  void chatCompletionEvent() throws Exception {
    JsonNode r = invoke("apigw-v2-chat-completion.json");
    assertEquals(200, r.get("statusCode").asInt(), r.toString());
    JsonNode b = body(r);
    assertEquals("chat.completion", b.get("object").asText());
    assertEquals("tiny-llama", b.get("model").asText());
    JsonNode choice = b.get("choices").get(0);
    assertEquals("assistant", choice.get("message").get("role").asText());
    assertTrue(List.of("stop", "length").contains(choice.get("finish_reason").asText()));
    JsonNode usage = b.get("usage");
    assertEquals(
        usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
        usage.get("total_tokens").asInt());
  }

  /**
   * {@code "stream": true} through the HTTP API (which cannot stream; the streaming function is
   * {@link StreamingRuntime}): the whole event stream comes back as one {@code text/event-stream}
   * body, with the same text as the buffered answer to the same seeded request.
   */
  @Test
  void streamingChatCompletionEventReturnsTheWholeEventStream() throws Exception {
    String whole =
        body(invoke("apigw-v2-chat-completion.json"))
            .get("choices")
            .get(0)
            .get("message")
            .get("content")
            .asText();
    JsonNode r = invoke("apigw-v2-chat-completion-stream.json");
    assertEquals(200, r.get("statusCode").asInt(), r.toString());
    assertTrue(r.toString().contains("text/event-stream"), r.toString());
    String sse = r.get("body").asText();
    if (r.path("isBase64Encoded").asBoolean(false)) {
      sse = new String(Base64.getDecoder().decode(sse), java.nio.charset.StandardCharsets.UTF_8);
    }
    assertTrue(sse.endsWith("data: [DONE]\n\n"), sse);
    StringBuilder text = new StringBuilder();
    JsonNode last = null;
    for (String event : sse.split("\n\n")) {
      assertTrue(event.startsWith("data: "), event);
      if (event.equals("data: [DONE]")) {
        continue;
      }
      last = JSON.readTree(event.substring(6));
      for (JsonNode ch : last.get("choices")) {
        JsonNode c = ch.path("delta").path("content");
        if (c.isTextual()) {
          text.append(c.textValue());
        }
      }
    }
    assertEquals(whole, text.toString());
    assertTrue(last.get("usage").get("total_tokens").asInt() > 0, last.toString());
  }

  /** Every route the table gives API Gateway reaches its function through the handler. */
  @Test
  void everyApiGatewayRouteOfTheTableIsServed() throws Exception {
    // The Files and Batches APIs: BatchApiGatewayEventsTest, with a batch store of its own.
    for (Routes.Route route :
        Routes.apiGateway().stream().filter(r -> r.binding() != Routes.Binding.ROUTER).toList()) {
      ObjectNode e = (ObjectNode) JSON.readTree(event("apigw-v2-embed.json"));
      e.put("routeKey", route.key()).put("rawPath", route.path());
      ((ObjectNode) e.get("requestContext")).put("routeKey", route.key());
      ((ObjectNode) e.get("requestContext").get("http"))
          .put("method", route.method().name())
          .put("path", route.path());
      e.put(
          "body",
          route.path().equals("/v1/completions")
              ? "{\"prompt\": \"hello\", \"max_tokens\": 2}"
              : route.path().equals("/v1/chat/completions")
                  ? "{\"messages\": [{\"role\": \"user\", \"content\": \"hello\"}],"
                      + " \"max_tokens\": 2}"
                  : route.path().equals("/answer")
                      ? "{\"question\": \"hello?\", \"context\": \"hello\"}"
                      : route.path().endsWith("/rerank")
                          ? "{\"query\": \"hello\", \"texts\": [\"hello\"], \"documents\":"
                              + " [\"hello\"]}"
                          : "{\"inputs\": \"hello\", \"input\": \"hello\"}");
      if (route.method() == Routes.Method.GET) {
        e.remove("body");
        ((ObjectNode) e.get("headers")).remove(List.of("content-length", "content-type"));
      }
      JsonNode r = invoke(JSON.writeValueAsBytes(e));
      String text = r.path("body").asText();
      // /predict and /classify name a classifier this store lacks: a 404 naming the model, not
      // the route.
      assertFalse(text.contains("no route"), route.key() + " -> " + r);
      assertTrue(
          r.get("statusCode").asInt() == 200
              || r.get("statusCode").asInt() == 404 && text.contains("minilm-spam"),
          route.key() + " -> " + r);
    }
  }

  /** The playground belongs to the local and container server: the Lambda does not serve it. */
  @Test
  void thePlaygroundIsNotServed() throws Exception {
    for (String path : List.of("/", "/index.html", "/playground.js")) {
      ObjectNode e = (ObjectNode) JSON.readTree(event("apigw-v2-embed.json"));
      e.put("routeKey", "GET " + path).put("rawPath", path);
      e.remove("body");
      ((ObjectNode) e.get("headers")).remove(List.of("content-length", "content-type"));
      ((ObjectNode) e.get("requestContext")).put("routeKey", "GET " + path);
      ((ObjectNode) e.get("requestContext").get("http")).put("method", "GET").put("path", path);
      JsonNode r = invoke(JSON.writeValueAsBytes(e));
      assertEquals(404, r.get("statusCode").asInt(), path + " -> " + r);
      assertTrue(r.path("body").asText().contains("no route"), path + " -> " + r);
    }
  }
}
