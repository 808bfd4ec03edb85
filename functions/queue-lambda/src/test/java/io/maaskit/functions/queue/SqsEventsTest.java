package io.maaskit.functions.queue;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * A real SQS event (four records, one malformed JSON, one with empty inputs) through Quarkus's
 * Lambda mock event server: the good records have results in S3, the bad ones (which no retry can
 * fix) error results, none comes back as a batchItemFailure (so SQS deletes them instead of
 * redelivering them into the DLQ), and a redelivered batch adds no second result.
 */
@QuarkusTest
@QuarkusTestResource(QueueStackResource.class)
class SqsEventsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String GOOD_1 = "059f36b4-87a3-44ab-83d2-661975830a7d";
  static final String GOOD_3 = "c80e8021-a70a-42c7-a470-796e1186f753";
  static final String MALFORMED = "2e1424d4-f796-459a-8184-9c92662be6da";
  static final String EMPTY = "d8e1f6a2-3c4b-4e5f-9a7b-1c2d3e4f5a6b";

  static JsonNode invoke(String eventFile) throws Exception {
    byte[] event;
    try (InputStream in = SqsEventsTest.class.getResourceAsStream("/events/" + eventFile)) {
      event = in.readAllBytes();
    }
    int port =
        ConfigProvider.getConfig()
            .getValue("quarkus.lambda.mock-event-server.test-port", Integer.class);
    String response =
        given()
            .contentType("application/json")
            .body(event)
            .post("http://localhost:" + port + "/_lambda_")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    return JSON.readTree(response);
  }

  static Set<String> failures(JsonNode response) {
    Set<String> ids = new TreeSet<>();
    response.get("batchItemFailures").forEach(f -> ids.add(f.get("itemIdentifier").asText()));
    return ids;
  }

  /** The result of a record that succeeded: its request id, status ok, the model that ran it. */
  static JsonNode okResult(String messageId, String id, String model) throws Exception {
    JsonNode r =
        JSON.readTree(QueueStackResource.s3.getRaw("results", "out/" + messageId + ".json"));
    assertEquals(id, r.get("id").asText(), r.toString());
    assertEquals("ok", r.get("status").asText(), r.toString());
    assertEquals(model, r.get("model").asText(), r.toString());
    return r;
  }

  /** The error result of a record that cannot succeed: status, type and message. */
  static JsonNode errorResult(String messageId, String type) throws Exception {
    JsonNode r =
        JSON.readTree(QueueStackResource.s3.getRaw("results", "out/" + messageId + ".json"));
    assertEquals("error", r.get("status").asText(), r.toString());
    assertEquals(messageId, r.get("message_id").asText());
    assertEquals(type, r.get("error").get("type").asText(), r.toString());
    assertEquals(400, r.get("error").get("status").asInt(), r.toString());
    return r;
  }

  @Test
  void badRecordsGetErrorResultsAndGoodOnesResults() throws Exception {
    JsonNode response = invoke("sqs-batch.json");
    assertEquals(Set.of(), failures(response), response.toString());

    JsonNode first =
        JSON.readTree(QueueStackResource.s3.getRaw("results", "out/" + GOOD_1 + ".json"));
    assertEquals("req-1", first.get("id").asText());
    assertEquals("ok", first.get("status").asText());
    assertEquals(2, first.get("embeddings").size());
    assertEquals(384, first.get("embeddings").get(0).size());
    JsonNode third =
        JSON.readTree(QueueStackResource.s3.getRaw("results", "out/" + GOOD_3 + ".json"));
    assertEquals("req-3", third.get("id").asText());
    double n = 0;
    for (JsonNode x : third.get("embeddings").get(0)) {
      n += x.asDouble() * x.asDouble();
    }
    assertTrue(Math.abs(Math.sqrt(n) - 1) > 0.01, "normalize=false was honoured");
    assertTrue(
        errorResult(MALFORMED, "invalid_request_error")
            .get("error")
            .get("message")
            .asText()
            .contains("not valid JSON"));
    assertTrue(
        errorResult(EMPTY, "invalid_request_error")
            .get("error")
            .get("message")
            .asText()
            .contains("inputs"));

    // Redelivery of the same batch (same message ids): no second, different result.
    byte[] before = QueueStackResource.s3.getRaw("results", "out/" + GOOD_1 + ".json");
    JsonNode again = invoke("sqs-batch.json");
    assertEquals(Set.of(), failures(again));
    assertArrayEquals(before, QueueStackResource.s3.getRaw("results", "out/" + GOOD_1 + ".json"));
  }

  /**
   * Queue task {@code generate}: a chat record and a completion record get their text, finish
   * reason and usage in S3, a record with a {@code response_format} schema gets JSON that fits it;
   * a record with a negative {@code max_tokens} gets an error result and is no batch item failure
   * (not redelivered).
   */
  @Test
  void generateRecordsLandInS3() throws Exception {
    JsonNode response = invoke("sqs-generate.json");
    assertEquals(Set.of(), failures(response), response.toString());
    JsonNode chat =
        JSON.readTree(
            QueueStackResource.s3.getRaw(
                "results", "out/6f1c2b3a-4d5e-4f60-8a71-92b3c4d5e6f7.json"));
    assertEquals("gen-1", chat.get("id").asText());
    assertEquals("ok", chat.get("status").asText());
    assertEquals("tiny-llama", chat.get("model").asText());
    JsonNode g = chat.get("generation");
    assertEquals(1, g.get("choices").size());
    assertTrue(g.get("choices").get(0).get("text").isTextual());
    assertTrue(
        Set.of("stop", "length").contains(g.get("choices").get(0).get("finish_reason").asText()));
    assertTrue(g.get("usage").get("completion_tokens").asInt() <= 12);
    JsonNode completion =
        JSON.readTree(
            QueueStackResource.s3.getRaw(
                "results", "out/7a2d3c4b-5e6f-4071-9b82-a3c4d5e6f708.json"));
    JsonNode c = completion.get("generation");
    if (c.get("choices").get(0).get("finish_reason").asText().equals("length")) {
      assertEquals(6, c.get("usage").get("completion_tokens").asInt());
    }
    JsonNode bad = errorResult("8b3e4d5c-6f70-4182-ac93-b4d5e6f70819", "invalid_request_error");
    assertEquals("gen-3", bad.get("id").asText());
    assertEquals("generate", bad.get("task").asText());
    assertTrue(bad.get("error").get("message").asText().contains("max_tokens"), bad.toString());
    // response_format through the queue: the constrained text is the schema's JSON
    JsonNode structured =
        JSON.readTree(
                QueueStackResource.s3.getRaw(
                    "results", "out/9c4f5e6d-7081-4293-8ca4-c5d6e7f8091a.json"))
            .get("generation")
            .get("choices")
            .get(0);
    assertEquals("stop", structured.get("finish_reason").asText(), structured.toString());
    JsonNode item = JSON.readTree(structured.get("text").asText());
    assertTrue(
        item.get("name").isTextual() && item.get("count").isIntegralNumber(), item.toString());
  }

  /**
   * Queue task {@code rerank}: the body of {@code POST /rerank}; the result carries every text's
   * index, score and (asked for) text, most relevant first. Empty texts are a batch item failure.
   */
  @Test
  void rerankRecordsLandInS3() throws Exception {
    JsonNode response = invoke("sqs-rerank.json");
    // The second record's body can never succeed: an error result, not a batch item failure.
    assertEquals(Set.of(), failures(response), response.toString());
    JsonNode result = okResult("a1b2c3d4-e5f6-4071-8293-a4b5c6d7e8f9", "rr-1", "tiny-reranker");
    JsonNode rankings = result.get("rankings");
    assertEquals(3, rankings.size());
    Set<Integer> indices = new TreeSet<>();
    double previous = Double.POSITIVE_INFINITY;
    List<String> texts = List.of("The cat sat on the mat.", "The dog runs in the park.", "zebra");
    for (JsonNode r : rankings) {
      indices.add(r.get("index").asInt());
      assertTrue(r.get("score").asDouble() <= previous, "most relevant first");
      previous = r.get("score").asDouble();
      assertEquals(texts.get(r.get("index").asInt()), r.get("text").asText());
    }
    assertEquals(Set.of(0, 1, 2), indices);
    // rr-2 has no texts: the 400 /rerank answers, as its result.
    errorResult("b2c3d4e5-f607-4182-9304-b5c6d7e8f90a", "invalid_request_error");
  }

  /**
   * Queue tasks {@code ner} and {@code answer}: the bodies of {@code POST /predict} (for a token
   * classifier) and {@code POST /answer}. Entities land in S3 grouped, one list per text, each a
   * span of its text; answers are spans of the context, best first. A record without texts and a
   * question without a context get error results and are no batch item failures.
   */
  @Test
  void nerAndAnswerRecordsLandInS3() throws Exception {
    JsonNode response = invoke("sqs-token-tasks.json");
    assertEquals(Set.of(), failures(response), response.toString());

    JsonNode ner = okResult("c3d4e5f6-0718-4293-a415-c6d7e8f90a1b", "ner-1", "tiny-ner");
    List<String> texts = List.of("José lives in the park.", "The cat sat on the mat.");
    JsonNode entities = ner.get("entities");
    assertEquals(2, entities.size(), "one list per text");
    Set<String> groups = Set.of("PER", "LOC", "ORG");
    for (int i = 0; i < texts.size(); i++) {
      for (JsonNode e : entities.get(i)) {
        assertTrue(groups.contains(e.get("entity_group").asText()), e.toString());
        assertTrue(e.get("entity") == null, "grouped: no per-token label " + e);
        double score = e.get("score").asDouble();
        assertTrue(score > 0 && score <= 1, e.toString());
        int start = e.get("start").asInt();
        int end = e.get("end").asInt();
        assertTrue(0 <= start && start < end && end <= texts.get(i).length(), e.toString());
      }
    }
    JsonNode noTexts = errorResult("d4e5f607-1829-43a4-b526-d7e8f90a1b2c", "invalid_request_error");
    assertEquals("ner", noTexts.get("task").asText());

    JsonNode qa = okResult("e5f60718-293a-44b5-8637-e8f90a1b2c3d", "qa-1", "tiny-qa");
    String context = "The cat sat on the mat. The dog runs in the park.";
    JsonNode answers = qa.get("answer");
    assertEquals(2, answers.size(), "top_k 2: a list of two");
    double previous = Double.POSITIVE_INFINITY;
    for (JsonNode a : answers) {
      int start = a.get("start").asInt();
      int end = a.get("end").asInt();
      assertEquals(context.substring(start, end), a.get("answer").asText(), a.toString());
      assertTrue(a.get("score").asDouble() <= previous, "best first");
      previous = a.get("score").asDouble();
    }
    JsonNode noContext =
        errorResult("f607182a-3a4b-45c6-9748-f90a1b2c3d4e", "invalid_request_error");
    assertTrue(
        noContext.get("error").get("message").asText().contains("'context' is required"),
        noContext.toString());
  }
}
