package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.maaskit.functions.testing.ModelStoreResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * The playground is static files served by the local server itself, beside the functions and the
 * JSON 404 for unknown routes; it loads nothing from outside the server.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class PlaygroundTest {
  @Test
  void rootServesThePageAndItsAssets() {
    given()
        .get("/")
        .then()
        .statusCode(200)
        .contentType(containsString("text/html"))
        .body(containsString("maaskit playground"))
        .body(containsString("src=\"playground.js\""))
        // Offline: no external scripts, styles or fonts.
        .body(not(containsString("http://")))
        .body(not(containsString("https://")));
    given()
        .get("/playground.js")
        .then()
        .statusCode(200)
        .body(containsString("'/explain'"))
        .body(not(containsString("https://")));
    given().get("/playground.css").then().statusCode(200);
  }

  @Test
  void functionsAndTheJson404StillAnswer() {
    given()
        .get("/info")
        .then()
        .statusCode(200)
        .body("models", org.hamcrest.Matchers.notNullValue());
    given().get("/no-such-page").then().statusCode(404).body("error.type", equalTo("not_found"));
  }
}
