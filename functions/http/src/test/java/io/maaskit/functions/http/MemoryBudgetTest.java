package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.startsWith;

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
 * {@code MAAS_MEMORY_BUDGET_MB}: with room for one ~87 MB MiniLM, a second model evicts the idle
 * first one and loads (without the budget both stay loaded: {@link PredictRoutesTest}); {@code
 * /info} says which model went and why.
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
  void aSecondModelBeyondTheBudgetEvictsTheIdleFirst() {
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
        .statusCode(200);
    given()
        .get("/info")
        .then()
        .statusCode(200)
        .body("models.model", contains(TestModels.TOPICS + "@1"))
        .body("unloaded[0].model", startsWith("all-minilm-l6-v2"))
        .body("unloaded[0].reason", containsString("evicted (least recently used)"))
        .body("unloaded[0].reason", containsString(TestModels.TOPICS))
        .body("unloaded[0].bytes", greaterThan(0))
        .body("memory.budgetBytes", equalTo(100 * 1024 * 1024))
        .body("memory.bytesInUse", lessThanOrEqualTo(100 * 1024 * 1024));
    // And back: the first model evicts the classifier in turn.
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"fits again\"}")
        .post("/embed")
        .then()
        .statusCode(200);
    given()
        .get("/info")
        .then()
        .body("unloaded[0].model", equalTo(TestModels.TOPICS + "@1"))
        .body("unloaded", hasSize(2));
  }
}
