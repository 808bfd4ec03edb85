package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import io.maaskit.functions.testing.ModelStoreResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With MAAS_API_KEY set, every route demands {@code Authorization: Bearer <key>}. */
@QuarkusTest
@TestProfile(ApiKeyTest.WithKey.class)
@QuarkusTestResource(ModelStoreResource.class)
class ApiKeyTest {
  /** Sets the key the way MAAS_API_KEY would. */
  public static class WithKey implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("maas.api-key", "s3cret-key");
    }
  }

  @Test
  void missingKeyIs401() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"hi\"}")
        .post("/embed")
        .then()
        .statusCode(401)
        .header("WWW-Authenticate", "Bearer")
        .body("error.message", containsString("missing API key"));
    given().get("/v1/models").then().statusCode(401);
  }

  @Test
  void wrongKeyIs401() {
    given()
        .header("Authorization", "Bearer nope")
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"hi\"}")
        .post("/embed")
        .then()
        .statusCode(401)
        .body("error.message", equalTo("invalid API key"));
  }

  @Test
  void rightKeyIs200() {
    given()
        .header("Authorization", "Bearer s3cret-key")
        .contentType(ContentType.JSON)
        .body("{\"inputs\": \"hi\"}")
        .post("/embed")
        .then()
        .statusCode(200)
        .body("$", hasSize(1));
  }
}
