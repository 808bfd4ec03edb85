package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.maaskit.functions.ModelServices;
import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.it.TestModels;
import io.maaskit.model.store.S3Settings;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Settings a user would notice, through the running server: {@code MAAS_PRELOAD}, {@code
 * MAAS_DEFAULT_CLASSIFIER}, {@code MAAS_MAX_INPUTS} (set here the way their variables would be).
 */
@QuarkusTest
@TestProfile(ConfigBehaviourTest.Tuned.class)
@QuarkusTestResource(ModelStoreResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConfigBehaviourTest {
  public static class Tuned implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "maas.preload", "true",
          "maas.default-classifier", TestModels.TOPICS,
          "maas.max-inputs", "2");
    }
  }

  @BeforeAll
  static void trainClassifier() throws Exception {
    TestModels.topicClassifier();
  }

  @Test
  @Order(1)
  void preloadLoadsTheDefaultModelWithoutAnyRequest() throws InterruptedException {
    // The load runs on a background thread from boot (the port opens meanwhile); only /info is
    // asked until it reports the model READY.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
    String state = null;
    while (!"READY".equals(state) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      state = given().get("/info").then().statusCode(200).extract().path("models[0].state");
    }
    given()
        .get("/info")
        .then()
        .statusCode(200)
        .body("models", hasSize(1))
        .body("models[0].model", containsString("all-minilm-l6-v2"))
        .body("models[0].state", equalTo("READY"));
  }

  @Test
  @Order(2)
  void theDefaultClassifierAnswersPredictWithoutAModel() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"The rovers won the derby with a goal in stoppage time.\"}")
        .post("/predict")
        .then()
        .statusCode(200)
        .body("[0][0].label", equalTo("sports"));
  }

  @Test
  @Order(3)
  void maxInputsBoundsEveryRequest() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": [\"a\", \"b\"]}")
        .post("/embed")
        .then()
        .statusCode(200)
        .body("$", hasSize(2));
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": [\"a\", \"b\", \"c\"]}")
        .post("/embed")
        .then()
        .statusCode(400)
        .body("error.message", containsString("2"));
  }

  @Inject ModelServices services;

  /** The AWS fall-backs ({@code ${AWS_ENDPOINT_URL_S3:...}}) resolve in the running application. */
  @Test
  @Order(4)
  void s3SettingsFollowTheEnvironmentInTheRunningApplication() {
    String endpoint =
        Stream.of("MAAS_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
            .map(System::getenv)
            .filter(v -> v != null && !v.isBlank())
            .findFirst()
            .orElse(null);
    S3Settings s = services.s3Settings();
    assertEquals(endpoint == null ? null : URI.create(endpoint.trim()), s.endpointOverride());
    assertEquals(endpoint != null, s.pathStyle());
    assertEquals(S3Settings.defaults().partSizeBytes(), s.partSizeBytes());
  }
}
