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
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TEI-compatible /predict (and /classify) on a classifier trained by the kit's own training job.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class PredictRoutesTest {
  @BeforeAll
  static void trainClassifier() throws Exception {
    TestModels.topicClassifier();
  }

  @Test
  void predictReturnsEveryLabelSortedByScore() {
    List<List<Map<String, Object>>> rows =
        given()
            .contentType(ContentType.JSON)
            .body(
                "{\"inputs\": [\"The rovers won the derby with a goal in stoppage time.\","
                    + " \"Fold the butter into the flour and bake until golden.\"], \"model\": \""
                    + TestModels.TOPICS
                    + "\"}")
            .post("/predict")
            .then()
            .statusCode(200)
            .body("$", hasSize(2))
            .extract()
            .as(new TypeRef<>() {});
    assertEquals("sports", rows.get(0).get(0).get("label"));
    assertEquals("cooking", rows.get(1).get(0).get("label"));
    for (List<Map<String, Object>> row : rows) {
      assertEquals(2, row.size());
      double first = ((Number) row.get(0).get("score")).doubleValue();
      double second = ((Number) row.get(1).get("score")).doubleValue();
      assertTrue(first >= second, "sorted by score");
      assertEquals(1.0, first + second, 1e-4);
    }
  }

  @Test
  void singleStringAndClassifyAlias() {
    given()
        .contentType(ContentType.JSON)
        .body(
            "{\"inputs\": \"Season the stew and simmer it for an hour.\", \"model\": \""
                + TestModels.TOPICS
                + "\"}")
        .post("/classify")
        .then()
        .statusCode(200)
        .body("$", hasSize(1))
        .body("[0][0].label", equalTo("cooking"));
  }

  @Test
  void badInputsAre400() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": [], \"model\": \"" + TestModels.TOPICS + "\"}")
        .post("/predict")
        .then()
        .statusCode(400)
        .body("error.message", containsString("must not be an empty array"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": [\"ok\", 3], \"model\": \"" + TestModels.TOPICS + "\"}")
        .post("/predict")
        .then()
        .statusCode(400)
        .body("error.message", containsString("'inputs[1]' must be a string"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"x\", \"model\": \"all-minilm-l6-v2\"}")
        .post("/predict")
        .then()
        .statusCode(400)
        .body("error.message", containsString("is not a classifier (it can do: encoder)"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"x\"")
        .post("/predict")
        .then()
        .statusCode(400)
        .body("error.message", containsString("not valid JSON"));
  }

  @Test
  void unknownClassifierIs404() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"x\", \"model\": \"no-such-classifier\"}")
        .post("/predict")
        .then()
        .statusCode(404)
        .body("error.type", equalTo("model_not_found"));
    // The default classifier (minilm-spam) is not in this store: the error names it.
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"x\"}")
        .post("/predict")
        .then()
        .statusCode(404)
        .body("error.message", containsString("minilm-spam"));
  }
}
