package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.functions.testing.ModelStoreResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Admission control through the running server, with one batch slot and no queue ({@code
 * MAAS_MAX_CONCURRENT_BATCHES=1}, {@code MAAS_MAX_QUEUED_REQUESTS=0}) and a token budget ({@code
 * MAAS_MAX_REQUEST_TOKENS=20000}): what does not fit is refused at once with 503 + Retry-After or
 * 413, and nothing hangs. With the default queue the same burst all succeeds ({@link
 * EmbedRoutesTest#aBurstWithinTheDefaultQueueAllSucceeds}).
 */
@QuarkusTest
@TestProfile(AdmissionTest.OneSlot.class)
@QuarkusTestResource(ModelStoreResource.class)
class AdmissionTest {
  public static class OneSlot implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "maas.max-concurrent-batches", "1",
          "maas.max-queued-requests", "0",
          "maas.max-request-tokens", "20000");
    }
  }

  static String batch(int n, String word) {
    return IntStream.range(0, n)
        .mapToObj(i -> "\"" + word + " number " + i + " in a batch of several words\"")
        .collect(Collectors.joining(",", "{\"inputs\": [", "]}"));
  }

  /** Statuses (and Retry-After headers) of {@code n} concurrent batch requests. */
  static List<Response> burst(int n) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Response>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String body = batch(128, "request " + i);
        futures.add(
            pool.submit(
                () -> given().contentType(ContentType.JSON).body(body).post("/embed").andReturn()));
      }
      List<Response> out = new ArrayList<>();
      for (Future<Response> f : futures) {
        out.add(f.get(120, TimeUnit.SECONDS)); // a hang fails here
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aBurstBeyondOneSlotAndNoQueueGets503WithRetryAfterAndNoneHangs() throws Exception {
    given().contentType(ContentType.JSON).body("{\"inputs\": \"warm\"}").post("/embed");
    List<Response> rs = burst(6);
    long ok = rs.stream().filter(r -> r.statusCode() == 200).count();
    List<Response> refused = rs.stream().filter(r -> r.statusCode() == 503).toList();
    assertEquals(rs.size(), ok + refused.size(), "only 200 or 503: " + statuses(rs));
    assertTrue(ok >= 1, "one request holds the slot: " + statuses(rs));
    assertTrue(!refused.isEmpty(), "the others are refused: " + statuses(rs));
    for (Response r : refused) {
      assertEquals("1", r.header("Retry-After"));
      assertEquals("application/json", r.contentType());
      assertTrue(r.jsonPath().getString("error.message").contains("at capacity"), r.asString());
    }
  }

  static String statuses(List<Response> rs) {
    return rs.stream().map(r -> Integer.toString(r.statusCode())).collect(Collectors.joining(","));
  }

  @Test
  void aRequestOverTheTokenBudgetIs413() {
    String longText = "word ".repeat(400);
    String body =
        IntStream.range(0, 100)
            .mapToObj(i -> "\"" + longText + i + "\"")
            .collect(Collectors.joining(",", "{\"inputs\": [", "]}"));
    given()
        .contentType(ContentType.JSON)
        .body(body)
        .post("/embed")
        .then()
        .statusCode(413)
        .contentType(ContentType.JSON)
        .body("error.type", equalTo("payload_too_large"))
        .body("error.message", containsString("25600 tokens"))
        .body("error.message", containsString("at most 20000"));
  }

  @Test
  void infoShowsTheLimits() {
    given()
        .get("/info")
        .then()
        .statusCode(200)
        .body("limits.maxConcurrentBatches", equalTo(1))
        .body("limits.maxQueuedRequests", equalTo(0))
        .body("limits.maxRequestTokens", equalTo(20000))
        .body("limits.maxInputs", equalTo(256));
  }
}
