package io.maaskit.functions.http.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.queue.*;
import io.maaskit.model.queue.QueueMessageHandler.Outcome;
import io.maaskit.model.task.EmbedRequest;
import io.maaskit.model.task.EmbeddingService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Parsing, validation, results and idempotency of one message, with the real MiniLM behind "embed".
 */
class QueueMessageHandlerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static EmbeddingService embeddings;

  QueueFixtures.MemorySink sink;
  QueueMessageHandler<JsonNode> handler;

  @BeforeAll
  static void services() {
    embeddings = QueueFixtures.embeddings();
  }

  @BeforeEach
  void handler() {
    sink = new QueueFixtures.MemorySink();
    handler = QueueFixtures.standard(embeddings, QueueFixtures.classifier(), sink);
  }

  @Test
  void embedMessageWritesTheEmbeddingsWithCorrelationAndMessageIds() throws Exception {
    Outcome o =
        handler.handle(
            "m-1",
            "{\"id\": \"order-17\", \"task\": \"embed\", \"inputs\": [\"A cat sits on the mat.\", \"Tax filings are due.\"]}");
    assertEquals(Outcome.Kind.WRITTEN, o.kind());
    JsonNode r = JSON.readTree(sink.results.get("m-1"));
    assertEquals(
        List.of("id", "message_id", "task", "model", "status", "duration_ms", "embeddings"),
        fields(r));
    assertEquals("order-17", r.get("id").asText());
    assertEquals("m-1", r.get("message_id").asText());
    assertEquals("embed", r.get("task").asText());
    assertEquals(QueueFixtures.MODEL, r.get("model").asText());
    assertEquals("ok", r.get("status").asText());
    assertEquals(2, r.get("embeddings").size());
    float[][] direct =
        embeddings
            .embed(EmbedRequest.of(List.of("A cat sits on the mat.", "Tax filings are due.")))
            .vectors();
    for (int i = 0; i < 2; i++) {
      float[] v = JSON.treeToValue(r.get("embeddings").get(i), float[].class);
      assertEquals(384, v.length);
      assertEquals(1.0, norm(v), 1e-4);
      assertArrayEquals(direct[i], v, 1e-6f, "input " + i + " equals the HTTP path's vector");
    }
  }

  @Test
  void singleStringInputAndNormalizeFalseAndNoCorrelationId() throws Exception {
    handler.handle(
        "m-2",
        "{\"task\": \"embed\", \"model\": \"all-minilm-l6-v2\", \"inputs\": \"hello world\", \"normalize\": false}");
    JsonNode r = JSON.readTree(sink.results.get("m-2"));
    assertFalse(r.has("id"), "no correlation id sent, none echoed");
    assertEquals(1, r.get("embeddings").size());
    double n = norm(JSON.treeToValue(r.get("embeddings").get(0), float[].class));
    assertTrue(Math.abs(n - 1) > 0.05, "unnormalized vector has norm " + n);
  }

  @Test
  void duplicateMessageIdIsSkippedWithoutRunningOrWriting() {
    AtomicInteger runs = new AtomicInteger();
    QueueMessageHandler<JsonNode> h =
        QueueFixtures.handler(
            Map.of(
                "echo",
                msg -> {
                  runs.incrementAndGet();
                  return new TaskOutput("none", "echo", msg.get("inputs"));
                }),
            sink);
    assertEquals(
        Outcome.Kind.WRITTEN, h.handle("m-3", "{\"task\": \"echo\", \"inputs\": \"a\"}").kind());
    byte[] first = sink.results.get("m-3");
    Outcome again = h.handle("m-3", "{\"task\": \"echo\", \"inputs\": \"a\"}");
    assertEquals(Outcome.Kind.DUPLICATE, again.kind());
    assertNull(again.result());
    assertEquals(1, runs.get());
    assertEquals(1, sink.writes("m-3"));
    assertArrayEquals(first, sink.results.get("m-3"));
  }

  @Test
  void malformedJsonNamesWhereItBroke() {
    String msg = invalid("m-4", "{\"task\": \"embed\", \"inputs\": [\"a\",]}");
    assertTrue(msg.startsWith("message body is not valid JSON at line 1, column"), msg);
    assertTrue(
        invalid("m-4b", "{\"task\": \"embed\", \"inputs\": \"a\"} trailing")
            .startsWith("message body is not valid JSON"));
    assertEquals(
        "message body is empty: send a JSON object with \"task\" and \"inputs\"",
        invalid("m-4c", " "));
    assertEquals("request body must be a JSON object, got an array", invalid("m-4d", "[\"a\"]"));
  }

  @Test
  void unknownOrMissingTaskListsTheTasks() {
    assertEquals(
        "'task' must be one of \"classify\", \"embed\", got \"translate\"",
        invalid("m-5", "{\"task\": \"translate\", \"inputs\": \"a\"}"));
    assertEquals(
        "'task' is required: one of \"classify\", \"embed\"",
        invalid("m-5b", "{\"inputs\": \"a\"}"));
    assertEquals(
        "'task' must be a string, got a number",
        invalid("m-5c", "{\"task\": 3, \"inputs\": \"a\"}"));
    assertEquals(
        "'id' must be a string, got an object",
        invalid("m-5d", "{\"id\": {}, \"task\": \"embed\", \"inputs\": \"a\"}"));
  }

  @Test
  void missingEmptyAndNonStringInputsAreNamed() {
    assertEquals(
        "'inputs' is required: a string or a non-empty array of strings",
        invalid("m-6", "{\"task\": \"embed\"}"));
    assertEquals(
        "'inputs' must not be an empty array",
        invalid("m-7", "{\"task\": \"embed\", \"inputs\": []}"));
    assertEquals(
        "'inputs' must not be an empty string",
        invalid("m-7b", "{\"task\": \"classify\", \"inputs\": \"\"}"));
    assertEquals(
        "'inputs[1]' must be a string, got a number (token-id inputs are not supported; send text)",
        invalid("m-8", "{\"task\": \"embed\", \"inputs\": [\"a\", 42]}"));
    assertEquals(
        "'normalize' must be true or false, got a string",
        invalid("m-8b", "{\"task\": \"embed\", \"inputs\": \"a\", \"normalize\": \"yes\"}"));
  }

  @Test
  void tooManyInputsIsRefusedWithTheLimit() {
    String many = "[" + "\"x\",".repeat(64) + "\"x\"]";
    // JsonFields.texts raises the InvalidRequestException base type today (PayloadTooLargeException
    // is
    // its subtype).
    InvalidRequestException e =
        assertThrows(
            InvalidRequestException.class,
            () -> handler.handle("m-9", "{\"task\": \"embed\", \"inputs\": " + many + "}"));
    assertEquals("'inputs' has 65 items; at most 64 are allowed per request", e.getMessage());
    assertTrue(sink.results.isEmpty());
  }

  @Test
  void modelErrorsAreTyped() {
    ModelNotFoundException nf =
        assertThrows(
            ModelNotFoundException.class,
            () ->
                handler.handle(
                    "m-10",
                    "{\"task\": \"embed\", \"model\": \"no-such-model\", \"inputs\": \"a\"}"));
    assertTrue(nf.getMessage().contains("no-such-model"), nf.getMessage());
    InvalidRequestException wrongKind =
        assertThrows(
            InvalidRequestException.class,
            () -> handler.handle("m-11", "{\"task\": \"classify\", \"inputs\": \"a\"}"));
    assertTrue(
        wrongKind.getMessage().contains("is not a classifier (it can do: encoder)"),
        wrongKind.getMessage());
    assertTrue(sink.results.isEmpty(), "failed messages write nothing");
  }

  @Test
  void sinkFailureWritesNothingAndTheRetrySucceeds() {
    AtomicInteger failures = new AtomicInteger(1);
    ResultSink flaky =
        new ResultSink() {
          @Override
          public boolean has(String id) {
            return sink.has(id);
          }

          @Override
          public void write(String messageId, byte[] r) throws IOException {
            if (failures.getAndDecrement() > 0) {
              throw new IOException("injected: bucket unreachable");
            }
            sink.write(messageId, r);
          }
        };
    QueueMessageHandler<JsonNode> h =
        QueueFixtures.standard(embeddings, QueueFixtures.classifier(), flaky);
    String body = "{\"task\": \"embed\", \"inputs\": \"retry me\"}";
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> h.handle("m-12", body));
    assertEquals("injected: bucket unreachable", e.getCause().getMessage());
    assertFalse(sink.has("m-12"));
    assertEquals(Outcome.Kind.WRITTEN, h.handle("m-12", body).kind());
    assertEquals(1, sink.writes("m-12"));
  }

  @Test
  void concurrentDeliveryOfTheSameMessageIsDeferredNotRunTwice() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger runs = new AtomicInteger();
    QueueMessageHandler<JsonNode> h =
        QueueFixtures.handler(
            Map.of(
                "slow",
                msg -> {
                  runs.incrementAndGet();
                  started.countDown();
                  try {
                    release.await(10, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return new TaskOutput("none", "done", true);
                }),
            sink);
    CompletableFuture<Outcome> first =
        CompletableFuture.supplyAsync(() -> h.handle("m-13", "{\"task\": \"slow\"}"));
    assertTrue(started.await(10, TimeUnit.SECONDS));
    ModelUnavailableException e =
        assertThrows(
            ModelUnavailableException.class, () -> h.handle("m-13", "{\"task\": \"slow\"}"));
    assertTrue(e.getMessage().contains("already being processed"), e.getMessage());
    release.countDown();
    assertEquals(Outcome.Kind.WRITTEN, first.get(10, TimeUnit.SECONDS).kind());
    assertEquals(Outcome.Kind.DUPLICATE, h.handle("m-13", "{\"task\": \"slow\"}").kind());
    assertEquals(1, runs.get());
    assertEquals(1, sink.writes("m-13"));
  }

  @Test
  void taskOutputMayNotShadowEnvelopeFields() {
    assertThrows(IllegalArgumentException.class, () -> new TaskOutput("m", "message_id", 1));
    assertThrows(IllegalArgumentException.class, () -> new TaskOutput("m", "status", 1));
    assertNotEquals(null, new TaskOutput("m", "embeddings", 1));
  }

  private String invalid(String messageId, String body) {
    InvalidRequestException e =
        assertThrows(InvalidRequestException.class, () -> handler.handle(messageId, body));
    assertFalse(sink.has(messageId));
    return e.getMessage();
  }

  static List<String> fields(JsonNode n) {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }

  static double norm(float[] v) {
    double s = 0;
    for (float f : v) {
      s += f * f;
    }
    return Math.sqrt(s);
  }
}
