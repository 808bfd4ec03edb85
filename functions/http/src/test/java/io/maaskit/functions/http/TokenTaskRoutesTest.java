package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.it.TestModels;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.common.mapper.TypeRef;
import io.restassured.http.ContentType;
import java.net.URL;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /predict} on the tiny random token classifier (entities in Hugging Face's pipeline
 * shapes) and {@code POST /answer} on the tiny random question answerer, through the local server;
 * bad requests are 4xx JSON naming what to fix.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class TokenTaskRoutesTest {
  private static final String TEXT = "José the 東京 cat sat on the mat. The dog runs in the park.";
  private static final String CONTEXT = "The cat sat on the mat. The dog runs in the park.";

  @TestHTTPResource("/")
  URL root;

  /**
   * The playground's entities and answers panel in Chromium ({@code src/test/js/tokens.mjs}): the
   * spans marked in the text are the entities {@code /predict} returns for the tiny token
   * classifier, and the answer marked in the context is {@code /answer}'s (screenshot in {@code
   * target/playground-tokens.png}).
   */
  @Test
  void playgroundMarksEntitiesAndTheAnswer() throws Exception {
    PlaygroundBrowserTest.browse(
        root, "tokens.mjs", "playground-tokens.png", 3, TestModels.TINY_NER, TestModels.TINY_QA);
  }

  private static String json(Object o) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(o);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static io.restassured.response.Response post(String path, Object body) {
    return given().contentType(ContentType.JSON).body(json(body)).post(path);
  }

  @Test
  void predictOnATokenClassifierAnswersEntities() {
    List<Map<String, Object>> tokens =
        post("/predict", Map.of("model", TestModels.TINY_NER, "inputs", TEXT))
            .then()
            .statusCode(200)
            .extract()
            .as(new TypeRef<>() {});
    assertFalse(tokens.isEmpty(), "the random head names some tokens");
    for (Map<String, Object> e : tokens) {
      assertEquals(
          List.of("entity", "score", "index", "word", "start", "end"),
          List.copyOf(e.keySet()),
          "Hugging Face's fields for aggregation none, in its order");
      assertFalse(e.get("entity").equals("O"), "O is left out");
      int start = (Integer) e.get("start");
      int end = (Integer) e.get("end");
      String word = (String) e.get("word");
      String span = TEXT.substring(start, end);
      // The word is the token (lowercased, accent stripped, ## for continuations) or, for an
      // unknown token, the text itself.
      assertTrue(
          word.equals(span)
              || java.text.Normalizer.normalize(span.toLowerCase(), java.text.Normalizer.Form.NFD)
                  .replaceAll("\\p{M}", "")
                  .equals(word.replace("##", "")),
          word + " for " + span);
    }

    List<List<Map<String, Object>>> grouped =
        post(
                "/predict",
                Map.of(
                    "model",
                    TestModels.TINY_NER,
                    "inputs",
                    List.of(TEXT, CONTEXT),
                    "parameters",
                    Map.of("aggregation_strategy", "simple")))
            .then()
            .statusCode(200)
            .extract()
            .as(new TypeRef<>() {});
    assertEquals(2, grouped.size(), "a list per text for a list");
    for (Map<String, Object> g : grouped.get(0)) {
      assertEquals(
          List.of("entity_group", "score", "word", "start", "end"), List.copyOf(g.keySet()));
      assertTrue(List.of("PER", "LOC", "ORG").contains(g.get("entity_group")), g.toString());
    }
  }

  @Test
  void badEntityRequestsAre4xx() {
    post("/predict", Map.of("model", TestModels.TINY_NER, "inputs", List.of()))
        .then()
        .statusCode(400)
        .body("error.message", containsString("'inputs'"));
    post(
            "/predict",
            Map.of("model", TestModels.TINY_NER, "inputs", "x", "aggregation_strategy", "most"))
        .then()
        .statusCode(400)
        .body("error.message", containsString("none, simple, first, average, max"));
    post("/predict", Map.of("model", TestModels.TINY_NER, "inputs", "cat ".repeat(1300)))
        .then()
        .statusCode(413)
        .body("error.message", containsString("characters"));
    // A reranker has neither head: /predict classifies with it and is told what it can do.
    post("/predict", Map.of("model", TestModels.TINY_RERANKER, "inputs", "x"))
        .then()
        .statusCode(400)
        .body("error.message", containsString("can do: reranker"));
  }

  @Test
  void answerInHuggingFacesShape() {
    Map<String, Object> a =
        post("/answer", Map.of("question", "What sat on the mat?", "context", CONTEXT))
            .then()
            .statusCode(200)
            .extract()
            .as(new TypeRef<>() {});
    assertEquals(List.of("answer", "score", "start", "end"), List.copyOf(a.keySet()));
    int start = (Integer) a.get("start");
    int end = (Integer) a.get("end");
    assertEquals(CONTEXT.substring(start, end), a.get("answer"));
    double score = ((Number) a.get("score")).doubleValue();
    assertTrue(score > 0 && score <= 1, "a product of probabilities: " + score);

    List<Map<String, Object>> three =
        post(
                "/answer",
                Map.of(
                    "inputs",
                    Map.of("question", "What sat on the mat?", "context", CONTEXT),
                    "top_k",
                    3,
                    "max_answer_len",
                    2,
                    "handle_impossible_answer",
                    true))
            .then()
            .statusCode(200)
            .extract()
            .as(new TypeRef<>() {});
    assertEquals(3, three.size(), "a list when top_k > 1");
    for (Map<String, Object> x : three) {
      String text = (String) x.get("answer");
      assertTrue(text.isEmpty() || text.split(" ").length <= 2, "at most 2 tokens: " + text);
    }
  }

  @Test
  void badQuestionsAre4xx() {
    post("/answer", Map.of("question", "What sat?"))
        .then()
        .statusCode(400)
        .body("error.message", containsString("'context' is required"));
    post("/answer", Map.of("question", "What sat?", "context", CONTEXT, "top_k", 0))
        .then()
        .statusCode(400)
        .body("error.message", containsString("'top_k'"));
    post("/answer", Map.of("question", "the cat ".repeat(11), "context", CONTEXT))
        .then()
        .statusCode(413)
        .body("error.message", containsString("shorter question"));
    post("/answer", Map.of("model", TestModels.TINY_NER, "question", "q", "context", CONTEXT))
        .then()
        .statusCode(400)
        .body("error.message", containsString("not a question-answerer"))
        .body("error.message", containsString("can do: token-classifier"));
  }
}
