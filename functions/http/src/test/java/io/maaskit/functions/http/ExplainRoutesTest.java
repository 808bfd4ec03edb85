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
            .body(body(""))
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
