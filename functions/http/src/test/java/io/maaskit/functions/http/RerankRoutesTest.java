package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.cohere.CohereScoringModel;
import dev.langchain4j.model.output.Response;
import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.it.TestModels;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.common.mapper.TypeRef;
import io.restassured.http.ContentType;
import java.net.URL;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /rerank} (TEI's shape) and {@code POST /v1/rerank} (Cohere's and Jina's) on the tiny
 * random cross-encoder (the default reranker of the test store), through the local server, and
 * through LangChain4j's Cohere scoring model.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class RerankRoutesTest {
  private static final String QUERY = "What is a cat?";
  private static final List<String> TEXTS =
      List.of(
          "The cat sat on the mat.",
          "The dog runs in the park.",
          "Boil water in a pan, then cook the rice.",
          "zebra");
  // 24 tokens per pair: the query (5) and this (28 tokens) do not fit together.
  private static final String LONG = "The cat sat on the mat. ".repeat(4);

  @TestHTTPResource("/v1/")
  URL v1;

  private static String json(Object o) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(o);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Map<String, Object>> rerank(Map<String, Object> body) {
    return given()
        .contentType(ContentType.JSON)
        .body(json(body))
        .post("/rerank")
        .then()
        .statusCode(200)
        .extract()
        .as(new TypeRef<>() {});
  }

  /** Index to score of a {@code /rerank} answer. */
  private static Map<Integer, Double> byIndex(List<Map<String, Object>> ranks) {
    Map<Integer, Double> out = new HashMap<>();
    for (Map<String, Object> r : ranks) {
      out.put((Integer) r.get("index"), ((Number) r.get("score")).doubleValue());
    }
    return out;
  }

  @Test
  void teiRerankRanksEveryTextByScore() {
    List<Map<String, Object>> ranks = rerank(Map.of("query", QUERY, "texts", TEXTS));
    assertEquals(TEXTS.size(), ranks.size());
    assertEquals(TEXTS.size(), byIndex(ranks).size(), "every index once");
    double previous = Double.POSITIVE_INFINITY;
    for (Map<String, Object> r : ranks) {
      double score = ((Number) r.get("score")).doubleValue();
      assertTrue(score > 0 && score < 1, "a sigmoid: " + score);
      assertTrue(score <= previous, "sorted by score, descending");
      previous = score;
      assertTrue(!r.containsKey("text"), "no text unless asked");
    }
    assertNotEquals(
        ranks.get(0).get("score"), ranks.get(ranks.size() - 1).get("score"), "texts differ");

    // raw_scores: the logits, whose sigmoid the default answer holds; return_text: the texts.
    List<Map<String, Object>> raw =
        rerank(Map.of("query", QUERY, "texts", TEXTS, "raw_scores", true, "return_text", true));
    Map<Integer, Double> scores = byIndex(ranks);
    for (Map<String, Object> r : raw) {
      int i = (Integer) r.get("index");
      double logit = ((Number) r.get("score")).doubleValue();
      assertEquals(scores.get(i), 1 / (1 + Math.exp(-logit)), 1e-6);
      assertEquals(TEXTS.get(i), r.get("text"));
    }
    assertEquals(ranks.get(0).get("index"), raw.get(0).get("index"), "same order");
  }

  @Test
  void overLongPairsAre413UnlessTruncated() {
    given()
        .contentType(ContentType.JSON)
        .body(json(Map.of("query", QUERY, "texts", List.of(TEXTS.get(0), LONG))))
        .post("/rerank")
        .then()
        .statusCode(413)
        .body("error.message", containsString("text 1"))
        .body("error.message", containsString("24 tokens"))
        .body("error.message", containsString("truncate"));
    assertEquals(
        2,
        rerank(Map.of("query", QUERY, "texts", List.of(TEXTS.get(0), LONG), "truncate", true))
            .size());
  }

  @Test
  void cohereShapeWithTopNAndDocuments() {
    Map<Integer, Double> tei = byIndex(rerank(Map.of("query", QUERY, "texts", TEXTS)));
    List<Object> documents =
        List.of(TEXTS.get(0), Map.of("text", TEXTS.get(1)), TEXTS.get(2), TEXTS.get(3));
    Map<String, Object> answer =
        given()
            .contentType(ContentType.JSON)
            .body(
                json(
                    Map.of(
                        "model",
                        TestModels.TINY_RERANKER,
                        "query",
                        QUERY,
                        "documents",
                        documents,
                        "top_n",
                        2,
                        "return_documents",
                        true)))
            .post("/v1/rerank")
            .then()
            .statusCode(200)
            .body("model", equalTo(TestModels.TINY_RERANKER))
            .body("id", startsWith("rerank-"))
            .body("results", hasSize(2))
            .body("meta.billed_units.search_units", equalTo(1))
            .extract()
            .as(new TypeRef<>() {});
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> results = (List<Map<String, Object>>) answer.get("results");
    List<Integer> best =
        tei.entrySet().stream()
            .sorted(Map.Entry.<Integer, Double>comparingByValue().reversed())
            .map(Map.Entry::getKey)
            .limit(2)
            .toList();
    for (int k = 0; k < 2; k++) {
      Map<String, Object> r = results.get(k);
      int i = (Integer) r.get("index");
      assertEquals(best.get(k), i, "the top_n most relevant, in order");
      assertEquals(tei.get(i), ((Number) r.get("relevance_score")).doubleValue(), 1e-6);
      assertEquals(Map.of("text", TEXTS.get(i)), r.get("document"));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> usage = (Map<String, Object>) answer.get("usage");
    assertTrue(((Number) usage.get("total_tokens")).intValue() > 4 * 7, "every pair's tokens");

    given()
        .contentType(ContentType.JSON)
        .body(json(Map.of("query", QUERY, "documents", TEXTS)))
        .post("/v1/rerank")
        .then()
        .statusCode(200)
        .body("results", hasSize(TEXTS.size()))
        .body("results[0].document", nullValue());
  }

  @Test
  void langChain4jCohereScoringModelScoresEveryDocument() {
    Map<Integer, Double> tei = byIndex(rerank(Map.of("query", QUERY, "texts", TEXTS)));
    CohereScoringModel model =
        CohereScoringModel.builder()
            .baseUrl(v1.toString())
            .apiKey("unused")
            .modelName(TestModels.TINY_RERANKER)
            .maxRetries(1)
            .build();
    Response<List<Double>> scores =
        model.scoreAll(TEXTS.stream().map(TextSegment::from).toList(), QUERY);
    assertEquals(TEXTS.size(), scores.content().size());
    for (int i = 0; i < TEXTS.size(); i++) {
      assertEquals(tei.get(i), scores.content().get(i), 1e-6, "document " + i + " in input order");
    }
    assertEquals(tei.get(1), model.score(TEXTS.get(1), QUERY).content(), 1e-6);
  }

  @Test
  void badInputsAre4xxWithClearMessages() {
    expect400(
        "/rerank",
        Map.of("query", QUERY, "texts", List.of()),
        "'texts' must not be an empty array");
    expect400("/rerank", Map.of("texts", TEXTS), "'query' is required");
    expect400("/rerank", Map.of("query", "", "texts", TEXTS), "'query' is required");
    expect400("/rerank", Map.of("query", QUERY, "texts", List.of("a", "")), "'texts[1]'");
    expect400(
        "/rerank",
        Map.of("query", QUERY, "texts", java.util.Collections.nCopies(257, "a")),
        "at most 256");
    expect400(
        "/rerank",
        Map.of("query", QUERY, "texts", TEXTS, "model", "all-minilm-l6-v2"),
        "can do: encoder");
    expect400(
        "/v1/rerank",
        Map.of("query", QUERY, "documents", List.of()),
        "'documents' must not be an empty array");
    expect400(
        "/v1/rerank", Map.of("query", QUERY, "documents", TEXTS, "top_n", 0), "'top_n' must be");
    expect400(
        "/v1/rerank",
        Map.of("query", QUERY, "documents", List.of(Map.of("title", "x"))),
        "without a string 'text'");
    expect400(
        "/v1/rerank",
        Map.of("query", QUERY, "documents", TEXTS, "model", "all-minilm-l6-v2"),
        "not a reranker");
    given()
        .contentType(ContentType.JSON)
        .body(json(Map.of("query", QUERY, "texts", TEXTS, "model", "no-such-model")))
        .post("/rerank")
        .then()
        .statusCode(404);
  }

  private static void expect400(String route, Map<String, Object> body, String message) {
    given()
        .contentType(ContentType.JSON)
        .body(json(body))
        .post(route)
        .then()
        .statusCode(400)
        .body("error.message", containsString(message));
  }
}
