package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.notNullValue;

import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.it.TestModels;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code MAAS_MEMORY_BUDGET_MB}: with room for one ~87 MB MiniLM, a second model is refused with
 * 503 + Retry-After instead of being loaded (without the budget both load: {@link
 * PredictRoutesTest}).
 */
@QuarkusTest
@TestProfile(MemoryBudgetTest.OneModel.class)
@QuarkusTestResource(ModelStoreResource.class)
class MemoryBudgetTest {
  public static class OneModel implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("maas.memory-budget-mb", "100");
    }
  }

  @BeforeAll
  static void trainClassifier() throws Exception {
    TestModels.topicClassifier();
  }

  @Test
  void aSecondModelBeyondTheBudgetIsRefused() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"fits\"}")
        .post("/embed")
        .then()
        .statusCode(200);
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"does not fit\", \"model\": \"" + TestModels.TOPICS + "\"}")
        .post("/predict")
        .then()
        .statusCode(503)
        .header("Retry-After", notNullValue())
        .body("error.message", containsString("memory budget"));
  }
}
