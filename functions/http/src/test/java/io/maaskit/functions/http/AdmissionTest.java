package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static java.nio.charset.StandardCharsets.UTF_8;
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

  /**
   * While the one slot is taken, a request is refused on its headers: a malformed body gets the
   * same 503 + Retry-After, not the 400 that parsing it would give, so refusing cost no parsing.
   */
  @Test
  void whileFullARequestIsRefusedBeforeItsBodyIsParsed() throws Exception {
    given().contentType(ContentType.JSON).body("{\"inputs\": \"warm\"}").post("/embed");
    String big =
        IntStream.range(0, 256)
            .mapToObj(i -> "\"" + "a sentence of several words to embed, ".repeat(2) + i + "\"")
            .collect(Collectors.joining(",", "{\"inputs\": [", "]}"));
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Response> running =
          pool.submit(
              () -> given().contentType(ContentType.JSON).body(big).post("/embed").andReturn());
      EmbedRoutesTest.awaitInfo("limits.requestsInside", n -> n >= 1);
      Response probe =
          given().contentType(ContentType.JSON).body("{\"inputs\": [").post("/embed").andReturn();
      boolean stillRunning = !running.isDone();
      assertEquals(200, running.get(120, TimeUnit.SECONDS).statusCode());
      if (stillRunning) {
        assertEquals(503, probe.statusCode(), probe.asString());
        assertEquals("1", probe.header("Retry-After"));
        assertTrue(probe.jsonPath().getString("error.message").contains("at capacity"));
      }
      // Once the slot is free the same malformed body is parsed, and answered 400.
      EmbedRoutesTest.awaitInfo("limits.requestsInside", n -> n == 0);
      given()
          .contentType(ContentType.JSON)
          .body("{\"inputs\": [")
          .post("/embed")
          .then()
          .statusCode(400);
      assertTrue(stillRunning, "the 256-input batch outlasted the probe (else nothing was shown)");
    } finally {
      pool.shutdownNow();
      EmbedRoutesTest.awaitInfo("limits.requestsInside", n -> n == 0); // the slot is free again
    }
  }

  /**
   * A request answered on its headers has the rest of its body discarded unparsed, and its
   * keep-alive connection serves the next request (left unread, a body larger than one read would
   * stall the connection for good: a retrying client's connections would die one by one).
   */
  @Test
  void aConnectionWhoseBodyWasRefusedUnreadServesTheNextRequest() throws Exception {
    byte[] body = ("{\"inputs\": \"" + "x".repeat(400_000) + "\"}").getBytes(UTF_8);
    try (java.net.Socket s = new java.net.Socket("localhost", io.restassured.RestAssured.port)) {
      s.setSoTimeout(60_000); // a stalled connection fails here rather than hanging the build
      var out = s.getOutputStream();
      var in = new java.io.BufferedInputStream(s.getInputStream());
      // text/plain: refused (415) before the body is read, like a refusal at capacity.
      out.write(
          ("POST /embed HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                  + "Content-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(UTF_8));
      out.write(body);
      out.write("GET /info HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(UTF_8));
      out.flush();
      assertEquals("HTTP/1.1 415 Unsupported Media Type", readResponse(in));
      assertEquals("HTTP/1.1 200 OK", readResponse(in));
    }
  }

  /** Reads one response (status line, headers, Content-Length body); returns the status line. */
  private static String readResponse(java.io.InputStream in) throws java.io.IOException {
    String status = line(in);
    long length = 0;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Long.parseLong(h.substring(15).trim());
      }
    }
    in.readNBytes((int) length);
    return status;
  }

  private static String line(java.io.InputStream in) throws java.io.IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new java.io.EOFException("connection closed after: " + b);
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
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
