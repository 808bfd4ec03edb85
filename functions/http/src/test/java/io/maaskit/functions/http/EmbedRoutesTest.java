package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.functions.routes.Routes;
import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.model.testing.TestTexts;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class EmbedRoutesTest {

  static float[] floats(List<Number> xs) {
    float[] out = new float[xs.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = xs.get(i).floatValue();
    }
    return out;
  }

  static double norm(float[] v) {
    double n = 0;
    for (float f : v) {
      n += f * f;
    }
    return Math.sqrt(n);
  }

  @Test
  void teiEmbedReturnsUnitVectors() {
    List<List<Number>> vectors =
        given()
            .contentType(ContentType.JSON)
            .body(
                "{\"inputs\": [\"A cat sits on the mat.\", \"A kitten rests on a rug.\", \"Tax"
                    + " filings are due in April.\"]}")
            .post("/embed")
            .then()
            .statusCode(200)
            .contentType(ContentType.JSON)
            .body("$", hasSize(3))
            .body("[0]", hasSize(384))
            .extract()
            .as(new io.restassured.common.mapper.TypeRef<>() {});
    float[] a = floats(vectors.get(0));
    float[] b = floats(vectors.get(1));
    float[] c = floats(vectors.get(2));
    assertEquals(1.0, norm(a), 1e-4);
    assertTrue(
        TestTexts.cosine(a, b) > TestTexts.cosine(a, c) + 0.3, "related sentences are closer");
  }

  @Test
  void teiEmbedSingleStringAndNoNormalize() {
    List<List<Number>> v =
        given()
            .contentType(ContentType.JSON)
            .body("{\"inputs\": \"hello world\", \"normalize\": false}")
            .post("/embed")
            .then()
            .statusCode(200)
            .body("$", hasSize(1))
            .body("[0]", hasSize(384))
            .extract()
            .as(new io.restassured.common.mapper.TypeRef<>() {});
    assertTrue(
        Math.abs(norm(floats(v.get(0))) - 1.0) > 0.01,
        "normalize=false returns the raw pooled vector");
  }

  @Test
  void openAiEmbeddingsFloatAndBase64Agree() {
    Response floatResp =
        given()
            .contentType(ContentType.JSON)
            .body("{\"model\": \"all-minilm-l6-v2\", \"input\": [\"first text\", \"second text\"]}")
            .post("/v1/embeddings");
    floatResp
        .then()
        .statusCode(200)
        .body("object", equalTo("list"))
        .body("model", equalTo("all-minilm-l6-v2"))
        .body("data", hasSize(2))
        .body("data[1].object", equalTo("embedding"))
        .body("data[1].index", equalTo(1))
        .body("data[0].embedding", hasSize(384))
        .body("usage.prompt_tokens", equalTo(8))
        .body("usage.total_tokens", equalTo(8));
    String b64 =
        given()
            .contentType(ContentType.JSON)
            .body("{\"input\": [\"first text\", \"second text\"], \"encoding_format\": \"base64\"}")
            .post("/v1/embeddings")
            .then()
            .statusCode(200)
            .extract()
            .path("data[1].embedding");
    ByteBuffer bytes =
        ByteBuffer.wrap(Base64.getDecoder().decode(b64)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(384 * 4, bytes.remaining());
    List<Number> asFloats = floatResp.path("data[1].embedding");
    for (int i = 0; i < 384; i++) {
      assertEquals(asFloats.get(i).floatValue(), bytes.getFloat(), 1e-6f, "component " + i);
    }
  }

  @Test
  void modelsAreListed() {
    given()
        .get("/v1/models")
        .then()
        .statusCode(200)
        .body("object", equalTo("list"))
        .body("data.name", hasItem("all-minilm-l6-v2"))
        .body("data.find { it.name == 'all-minilm-l6-v2' }.task", equalTo("embedding"));
  }

  @Test
  void infoReportsLoadAccounting() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"warm\"}")
        .post("/embed")
        .then()
        .statusCode(200);
    given()
        .get("/info")
        .then()
        .statusCode(200)
        .body("models.find { it.model == 'all-minilm-l6-v2@1' }.state", equalTo("READY"))
        .body(
            "models.find { it.model == 'all-minilm-l6-v2@1' }.engine",
            // a CPU and a package with a compiled graph: ONNX Runtime (MAAS_ENGINE=auto)
            equalTo("onnxruntime"))
        .body(
            "models.find { it.model == 'all-minilm-l6-v2@1' }.stats.bytesLocal",
            org.hamcrest.Matchers.greaterThan(1_000_000));
  }

  static Stream<Arguments> badInputs() {
    return Stream.of(
        Arguments.of("/embed", "{\"inputs\": []}", "must not be an empty array"),
        Arguments.of("/embed", "{\"inputs\": \"\"}", "must not be an empty string"),
        Arguments.of("/embed", "{\"inputs\": [\"ok\", \"\"]}", "'inputs[1]' is an empty string"),
        Arguments.of("/embed", "{\"inputs\": [\"ok\", 42]}", "'inputs[1]' must be a string"),
        Arguments.of("/embed", "{\"inputs\": [[1, 2]]}", "token-id inputs are not supported"),
        Arguments.of("/embed", "{\"inputs\": 5}", "must be a string or an array of strings"),
        Arguments.of(
            "/embed", "{\"inputs\": {\"a\": 1}}", "must be a string or an array of strings"),
        Arguments.of(
            "/embed",
            "{\"inputs\": \"x\", \"normalize\": \"yes\"}",
            "'normalize' must be true or false"),
        Arguments.of("/embed", "{\"inputs\": \"x\", \"model\": 7}", "'model' must be a string"),
        Arguments.of("/embed", "{}", "'inputs' is required"),
        Arguments.of("/embed", "[\"a\"]", "must be a JSON object"),
        Arguments.of("/embed", "{\"inputs\": [\"a\"", "request body is not valid JSON"),
        Arguments.of("/embed", "not json at all", "request body is not valid JSON"),
        Arguments.of(
            "/embed", "{\"inputs\": \"a\"} {\"inputs\": \"b\"}", "request body is not valid JSON"),
        Arguments.of("/v1/embeddings", "{\"input\": \"a\"}]", "request body is not valid JSON"),
        Arguments.of("/predict", "{\"inputs\": \"a\"} trailing", "request body is not valid JSON"),
        Arguments.of("/v1/embeddings", "{\"input\": []}", "'input' must not be an empty array"),
        Arguments.of(
            "/v1/embeddings",
            "{\"input\": \"x\", \"encoding_format\": \"hex\"}",
            "'encoding_format' must be"),
        Arguments.of("/v1/embeddings", "{\"input\": [null]}", "'input[0]' must be a string"),
        Arguments.of(
            "/v1/embeddings",
            "{\"input\": \"x\", \"dimensions\": 12}",
            "'dimensions' is not adjustable"),
        Arguments.of(
            "/v1/embeddings",
            "{\"input\": \"x\", \"model\": \"Bad Name!\"}",
            "invalid model name"));
  }

  @ParameterizedTest(name = "{0} {1} → 400")
  @MethodSource("badInputs")
  void badInputIs400WithJsonMessage(String route, String body, String message) {
    given()
        .contentType(ContentType.JSON)
        .body(body)
        .post(route)
        .then()
        .statusCode(400)
        .contentType(ContentType.JSON)
        .body("error.status", equalTo(400))
        .body("error.message", containsString(message));
  }

  @Test
  void moreThan256InputsIs400() {
    String inputs =
        IntStream.range(0, 257).mapToObj(i -> "\"t" + i + "\"").collect(Collectors.joining(","));
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": [" + inputs + "]}")
        .post("/embed")
        .then()
        .statusCode(400)
        .body("error.message", containsString("at most 256"));
  }

  @Test
  void exactly256InputsIsFine() {
    String inputs =
        IntStream.range(0, 256)
            .mapToObj(i -> "\"text number " + i + "\"")
            .collect(Collectors.joining(","));
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": [" + inputs + "]}")
        .post("/embed")
        .then()
        .statusCode(200)
        .body("$", hasSize(256));
  }

  @Test
  void unknownModelIs404() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"x\", \"model\": \"no-such-model\"}")
        .post("/embed")
        .then()
        .statusCode(404)
        .body("error.message", containsString("'no-such-model' not found"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"input\": \"x\", \"model\": \"no-such-model\"}")
        .post("/v1/embeddings")
        .then()
        .statusCode(404)
        .body("error.type", equalTo("model_not_found"));
  }

  @Test
  void longInputsAreTruncatedNotRejected() {
    String longText = "word ".repeat(2000);
    given()
        .contentType(ContentType.JSON)
        .body("{\"input\": \"" + longText + "\"}")
        .post("/v1/embeddings")
        .then()
        .statusCode(200)
        .body("usage.prompt_tokens", equalTo(256));
  }

  /**
   * A 10 MB single input is cut before tokenizing: it answers 200 with the very vector of its first
   * 2,000 characters (which already hold more than the model's 256 tokens).
   */
  @Test
  void aTenMegabyteInputGivesTheVectorOfItsTruncatedForm() {
    String sentence = "The committee reviewed the quarterly figures and approved the plan. ";
    String huge = sentence.repeat(10_000_000 / sentence.length());
    String head = huge.substring(0, huge.lastIndexOf(' ', 2_000));
    List<List<Number>> big =
        given()
            .contentType(ContentType.JSON)
            .body("{\"inputs\": \"" + huge + "\"}")
            .post("/embed")
            .then()
            .statusCode(200)
            .extract()
            .as(new io.restassured.common.mapper.TypeRef<>() {});
    List<List<Number>> small =
        given()
            .contentType(ContentType.JSON)
            .body("{\"inputs\": \"" + head + "\"}")
            .post("/embed")
            .then()
            .statusCode(200)
            .extract()
            .as(new io.restassured.common.mapper.TypeRef<>() {});
    float[] a = floats(big.get(0));
    float[] b = floats(small.get(0));
    for (int i = 0; i < a.length; i++) {
      assertEquals(b[i], a[i], 1e-6, "component " + i);
    }
  }

  /**
   * A client that hangs up while its 256-input batch (4 sub-batches of 64 x 256 tokens) is running
   * has the rest of its sub-batches dropped: /info counts it as cancelled and nothing is left
   * inside.
   */
  @Test
  void aClientThatHangsUpHasItsRemainingSubBatchesDropped() throws Exception {
    long before = given().get("/info").jsonPath().getLong("limits.requestsCancelled");
    String text = "word ".repeat(300);
    byte[] body =
        IntStream.range(0, 256)
            .mapToObj(i -> "\"" + text + i + "\"")
            .collect(Collectors.joining(",", "{\"inputs\": [", "]}"))
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    hangUpOnceInside("/embed", body);
    awaitInfo("limits.requestsCancelled", n -> n >= before + 1);
    awaitInfo("limits.requestsInside", n -> n == 0);
  }

  /**
   * Posts {@code body} to {@code path} on a raw connection, waits until the request is admitted
   * (running or waiting for a slot) and closes the connection without reading the answer.
   */
  static void hangUpOnceInside(String path, byte[] body) throws Exception {
    try (java.net.Socket s = new java.net.Socket("localhost", io.restassured.RestAssured.port)) {
      var out = s.getOutputStream();
      out.write(
          ("POST "
                  + path
                  + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  + "Content-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      awaitInfo("limits.requestsInside", n -> n >= 1);
    } // hangs up mid-computation
  }

  /** Polls /info until {@code path} satisfies {@code done} (a hang guard, not a timing check). */
  static void awaitInfo(String path, java.util.function.LongPredicate done) throws Exception {
    for (int i = 0; i < 1200; i++) {
      if (done.test(given().get("/info").jsonPath().getLong(path))) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(path + " never got there: " + given().get("/info").asString());
  }

  /** With the default queue (4 requests per slot, at least 1 slot) a burst of 5 batches fits. */
  @Test
  void aBurstWithinTheDefaultQueueAllSucceeds() throws Exception {
    for (Response r : AdmissionTest.burst(5)) {
      assertEquals(200, r.statusCode(), r.asString());
    }
  }

  @Test
  void unknownRouteAndWrongMethodAreJson() {
    given()
        .contentType(ContentType.JSON)
        .body("{}")
        .post("/nope")
        .then()
        .statusCode(404)
        .body("error.message", containsString("routes:"));
    given().put("/embed").then().statusCode(405).body("error.status", equalTo(405));
  }

  /** Each path answers its table methods only; the others get 405 with Allow, as JSON. */
  @Test
  void wrongMethodsGet405WithAllow() {
    for (Routes.Route route : Routes.servedBy(Routes.Deployable.HTTP_SERVER)) {
      String path = route.path().replace("{id}", "x1");
      List<Routes.Route> here = Routes.matching(path);
      String allow =
          here.stream().map(r -> r.method().name()).distinct().collect(Collectors.joining(", "));
      var wrong =
          here.stream().anyMatch(r -> r.method() == Routes.Method.POST)
              ? given().contentType(ContentType.JSON).body("{}").put(path)
              : given().contentType(ContentType.JSON).body("{}").post(path);
      wrong
          .then()
          .statusCode(405)
          .header("Allow", equalTo(allow))
          .contentType(ContentType.JSON)
          .body("error.type", equalTo("method_not_allowed"))
          .body("error.message", containsString(route.key()));
    }
  }

  /**
   * On loopback (the default), a Host that names another machine (DNS rebinding from a browser)
   * gets 403; localhost and 127.0.0.1 work.
   */
  @Test
  void aForeignHostIsRefusedOnLoopback() {
    given()
        .header("Host", "attacker.example")
        .get("/info")
        .then()
        .statusCode(403)
        .contentType(ContentType.JSON)
        .body("error.type", equalTo("forbidden_host"));
    for (String ok : new String[] {"localhost", "127.0.0.1:8080", "[::1]:9000"}) {
      given().header("Host", ok).get("/info").then().statusCode(200);
    }
  }

  /** Errors the HTTP layer raises before any function are JSON too: 414, 431, 413. */
  @Test
  void httpLayerErrorsAreJson() {
    given()
        .get("/info?pad=" + "a".repeat(5_000))
        .then()
        .statusCode(414)
        .contentType(ContentType.JSON)
        .body("error.type", equalTo("uri_too_long"));
    given()
        .header("X-Padding", "b".repeat(25_000))
        .get("/info")
        .then()
        .statusCode(431)
        .contentType(ContentType.JSON)
        .body("error.type", equalTo("headers_too_large"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"" + "c".repeat(11 * 1024 * 1024) + "\"}")
        .post("/embed")
        .then()
        .statusCode(413)
        .contentType(ContentType.JSON)
        .body("error.type", equalTo("payload_too_large"));
  }

  /** Overlong and other malformed UTF-8 is a 400 (Jackson alone would decode C0 AF as '/'). */
  @Test
  void malformedUtf8Is400() {
    byte[][] bad = {
      {(byte) 0xC0, (byte) 0xAF}, // overlong '/'
      {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, // overlong '/', 3 bytes
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a UTF-16 surrogate
      {(byte) 0xFF},
    };
    for (byte[] b : bad) {
      byte[] head = "{\"inputs\": \"a".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] tail = "b\"}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] body = new byte[head.length + b.length + tail.length];
      System.arraycopy(head, 0, body, 0, head.length);
      System.arraycopy(b, 0, body, head.length, b.length);
      System.arraycopy(tail, 0, body, head.length + b.length, tail.length);
      given()
          .contentType(ContentType.JSON)
          .body(body)
          .post("/embed")
          .then()
          .statusCode(400)
          .contentType(ContentType.JSON)
          .body("error.message", containsString("not valid UTF-8"));
    }
    given()
        .contentType(ContentType.JSON)
        .body(
            "{\"inputs\": \"caf\u00e9 \ud83d\ude42 \u6771\"}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .post("/embed")
        .then()
        .statusCode(200);
  }

  /** JSON routes take JSON only: text/plain (a browser's cross-site "simple" POST) gets 415. */
  @Test
  void aBodyNotDeclaredJsonIs415() {
    for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded"}) {
      given()
          .contentType(type)
          .body("{\"inputs\": \"hello\"}")
          .post("/embed")
          .then()
          .statusCode(415)
          .contentType(ContentType.JSON)
          .body("error.type", equalTo("unsupported_media_type"))
          .body("error.message", containsString("application/json"));
    }
    given()
        .header("Content-Type", "application/json; charset=utf-8")
        .body("{\"inputs\": \"hello\"}")
        .post("/embed")
        .then()
        .statusCode(200);
  }

  /** A 404 names the model, never the store's path. */
  @Test
  void notFoundBodiesAndInfoShowNoStorePath() throws Exception {
    String store = io.maaskit.it.TestModels.storeRoot().toString();
    String body =
        given()
            .contentType(ContentType.JSON)
            .body("{\"inputs\": \"x\", \"model\": \"no-such-model@3\"}")
            .post("/embed")
            .then()
            .statusCode(404)
            .body("error.message", containsString("no-such-model@3"))
            .extract()
            .asString();
    assertFalse(body.contains(store) || body.contains("test-models"), body);
    String info =
        given()
            .get("/info")
            .then()
            .statusCode(200)
            .body("store", equalTo("local"))
            .extract()
            .asString();
    assertFalse(info.contains(store), info);
  }

  /** Unknown versions leave no registry entry: /info stays the same size after 300 of them. */
  @Test
  void unknownVersionsLeaveInfoTheSameSize() {
    given().contentType(ContentType.JSON).body("{\"inputs\": \"warm\"}").post("/embed");
    String before = given().get("/info").asString();
    for (int i = 0; i < 300; i++) {
      given()
          .contentType(ContentType.JSON)
          .body("{\"inputs\": \"x\", \"model\": \"all-minilm-l6-v2@" + (1000 + i) + "\"}")
          .post("/embed")
          .then()
          .statusCode(404);
    }
    String after = given().get("/info").asString();
    assertEquals(before.length(), after.length(), after);
    assertFalse(after.contains("@1000"), after);
  }

  /** Every route the table gives the local server reaches its function. */
  @Test
  void everyServerRouteOfTheTableIsServed() {
    // The Files and Batches APIs: BatchLocalTest, with a batch store of its own.
    for (Routes.Route route :
        Routes.servedBy(Routes.Deployable.HTTP_SERVER).stream()
            .filter(r -> r.binding() != Routes.Binding.ROUTER)
            .toList()) {
      var r =
          route.method() == Routes.Method.GET
              ? given().get(route.path())
              : given()
                  .contentType(ContentType.JSON)
                  .body(
                      route.path().equals("/v1/completions")
                          ? "{\"prompt\": \"hello\", \"max_tokens\": 2}"
                          : route.path().equals("/v1/chat/completions")
                              ? "{\"messages\": [{\"role\": \"user\", \"content\": \"hello\"}],"
                                  + " \"max_tokens\": 2}"
                              : route.path().equals("/answer")
                                  ? "{\"question\": \"hello?\", \"context\": \"hello\"}"
                                  : route.path().endsWith("/rerank")
                                      ? "{\"query\": \"hello\", \"texts\": [\"hello\"],"
                                          + " \"documents\": [\"hello\"]}"
                                      : "{\"inputs\": \"hello\", \"input\": \"hello\"}")
                  .post(route.path());
      String body = r.asString();
      assertFalse(body.contains("no route"), route.key() + " -> " + body);
      // /predict and /classify name the default classifier, which this store lacks.
      assertTrue(
          r.statusCode() == 200 || r.statusCode() == 404 && body.contains("minilm-spam"),
          route.key() + " -> " + r.statusCode() + " " + body);
    }
  }
}
