package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.it.TestModels;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.common.mapper.TypeRef;
import io.restassured.http.ContentType;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code POST /explain} on the classifier the kit trains: attributions, spans, errors. */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class ExplainRoutesTest {
  static final String TEXT = "Grandma said to knead the dough and let it rest overnight.";

  @BeforeAll
  static void trainClassifier() throws Exception {
    TestModels.topicClassifier();
  }

  static String body(String extra) {
    return "{\"inputs\": \"" + TEXT + "\", \"model\": \"" + TestModels.TOPICS + "\"" + extra + "}";
  }

  @Test
  void integratedGradientsExplainThePredictedLabel() {
    List<Map<String, Object>> rows =
        given()
            .contentType(ContentType.JSON)
            .body(body(", \"method\": \"integrated_gradients\""))
            .post("/explain")
            .then()
            .statusCode(200)
            .body("$", hasSize(1))
            .body("[0].label", equalTo("cooking"))
            .body("[0].method", equalTo("integrated_gradients"))
            .extract()
            .as(new TypeRef<>() {});
    Map<String, Object> e = rows.get(0);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> tokens = (List<Map<String, Object>>) e.get("tokens");
    double sum = 0;
    int real = 0;
    for (Map<String, Object> t : tokens) {
      int start = (Integer) t.get("start");
      int end = (Integer) t.get("end");
      sum += ((Number) t.get("attribution")).doubleValue();
      if (start == end) {
        continue; // [CLS], [SEP]
      }
      real++;
      assertEquals(
          ((String) t.get("token")).replace("##", ""),
          TEXT.substring(start, end).toLowerCase(Locale.ROOT),
          t.toString());
    }
    assertTrue(real >= 10, tokens.toString());
    double gap = ((Number) e.get("completeness_gap")).doubleValue();
    assertTrue(gap <= 0.01 * Math.max(Math.abs(sum), 0.05), "gap " + gap + ", sum " + sum);
    assertTrue(((Number) e.get("score")).doubleValue() > 0.5);
  }

  /**
   * The classifier is served from its compiled graph on ONNX Runtime here: with no method named it
   * is explained by occlusion on that graph, and no PyTorch copy of it is loaded for that.
   */
  @Test
  void withoutAMethodAGraphServedClassifierIsExplainedByOcclusion() {
    List<Map<String, Object>> rows =
        given()
            .contentType(ContentType.JSON)
            .body(body(", \"aggregate\": \"word\""))
            .post("/explain")
            .then()
            .statusCode(200)
            .body("[0].label", equalTo("cooking"))
            .body("[0].method", equalTo("occlusion"))
            .body("[0].completeness_gap", equalTo(null))
            .body("[0].tokens.token", org.hamcrest.Matchers.hasItem("dough"))
            .extract()
            .as(new TypeRef<>() {});
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> tokens = (List<Map<String, Object>>) rows.get(0).get("tokens");
    assertTrue(
        tokens.stream()
            .allMatch(t -> Double.isFinite(((Number) t.get("attribution")).doubleValue())));
    List<Map<String, Object>> models = given().get("/info").jsonPath().getList("models");
    assertTrue(
        models.stream()
            .filter(m -> ((String) m.get("model")).startsWith(TestModels.TOPICS))
            .anyMatch(m -> ((String) m.get("engine")).startsWith("onnxruntime")),
        models.toString());
  }

  /** Over the cost budget shown in /info an explanation is refused with 413 before it runs. */
  @Test
  void overItsBudgetAnExplanationIs413AndInfoShowsTheLimits() {
    var info = given().get("/info").jsonPath();
    long maxCost = info.getLong("explain.maxCost");
    assertTrue(maxCost > 0, info.prettify());
    assertEquals(512, info.getInt("explain.maxSteps"));
    assertEquals(16, info.getInt("explain.maxInputs"));
    String text = "knead the dough ".repeat(200);
    String inputs = String.join(",", java.util.Collections.nCopies(16, "\"" + text + "\""));
    given()
        .contentType(ContentType.JSON)
        .body(
            "{\"inputs\": ["
                + inputs
                + "], \"model\": \""
                + TestModels.TOPICS
                + "\", \"method\": \"integrated_gradients\", \"steps\": 512}")
        .post("/explain")
        .then()
        .statusCode(413)
        .body("error.message", containsString("at most " + maxCost));
  }

  /**
   * A client that hangs up during a long Integrated Gradients run (one long input at 512 steps,
   * within the budget) has the rest of its passes dropped: /info counts it as cancelled and nothing
   * is left inside.
   */
  @Test
  void aClientThatHangsUpCancelsTheExplanation() throws Exception {
    long before = given().get("/info").jsonPath().getLong("limits.requestsCancelled");
    byte[] body =
        ("{\"inputs\": \""
                + "knead the dough ".repeat(200)
                + "\", \"model\": \""
                + TestModels.TOPICS
                + "\", \"method\": \"integrated_gradients\", \"steps\": 512}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    EmbedRoutesTest.hangUpOnceInside("/explain", body);
    EmbedRoutesTest.awaitInfo("limits.requestsCancelled", n -> n >= before + 1);
    EmbedRoutesTest.awaitInfo("limits.requestsInside", n -> n == 0);
  }

  @Test
  void otherMethodsWordsAndAChosenLabel() {
    given()
        .contentType(ContentType.JSON)
        .body(body(", \"method\": \"gradient_x_input\", \"label\": \"sports\""))
        .post("/explain")
        .then()
        .statusCode(200)
        .body("[0].label", equalTo("sports"))
        .body("[0].method", equalTo("gradient_x_input"))
        .body("[0].completeness_gap", equalTo(null));
    given()
        .contentType(ContentType.JSON)
        .body(body(", \"method\": \"attention_rollout\", \"aggregate\": \"word\""))
        .post("/explain")
        .then()
        .statusCode(200)
        .body("[0].method", equalTo("attention_rollout"))
        .body("[0].tokens.token", org.hamcrest.Matchers.hasItem("overnight"));
  }

  @Test
  void similarityOfTwoTextsUnderTheEncoder() {
    given()
        .contentType(ContentType.JSON)
        .body(
            "{\"inputs\": [\"A late goal won the match.\", \"The team scored at the end.\"],"
                + " \"model\": \"all-minilm-l6-v2\", \"target\": \"similarity\", \"steps\": 16}")
        .post("/explain")
        .then()
        .statusCode(200)
        .body("$", hasSize(2))
        .body("[0].label", equalTo("similarity"))
        .body("[1].tokens.token", org.hamcrest.Matchers.hasItem("scored"));
    given()
        .contentType(ContentType.JSON)
        .body(body(", \"target\": \"topic\""))
        .post("/explain")
        .then()
        .statusCode(400)
        .body("error.message", containsString("'target' must be label"));
  }

  @Test
  void badRequestsAre400AndUnknownModels404() {
    given()
        .contentType(ContentType.JSON)
        .body(body(", \"label\": \"politics\""))
        .post("/explain")
        .then()
        .statusCode(400)
        .body("error.message", containsString("cooking, sports"));
    given()
        .contentType(ContentType.JSON)
        .body(body(", \"steps\": 513"))
        .post("/explain")
        .then()
        .statusCode(400)
        .body("error.message", containsString("between 1 and 512"));
    given()
        .contentType(ContentType.JSON)
        .body(body(", \"method\": \"lime\""))
        .post("/explain")
        .then()
        .statusCode(400)
        .body("error.message", containsString("integrated_gradients, gradient_x_input"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"x\", \"model\": \"all-minilm-l6-v2\"}")
        .post("/explain")
        .then()
        .statusCode(400)
        .body("error.message", containsString("is not a classifier"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"x\", \"model\": \"no-such-classifier\"}")
        .post("/explain")
        .then()
        .statusCode(404)
        .body("error.type", equalTo("model_not_found"));
  }
}
