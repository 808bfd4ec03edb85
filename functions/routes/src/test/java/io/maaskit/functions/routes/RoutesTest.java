package io.maaskit.functions.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoutesTest {
  @Test
  void keysAreUniqueAndEveryPathNamesItsFunction() {
    Set<String> keys = new HashSet<>();
    Set<String> functions = new HashSet<>();
    for (Routes.Route r : Routes.ALL) {
      assertEquals(true, keys.add(r.key()), "duplicate route " + r.key());
      assertEquals(true, functions.add(r.function()), "two routes call " + r.function());
      assertEquals("/" + r.function(), r.path(), "Funqy serves a function at /<name>");
    }
  }

  @Test
  void summaryIsWhatTheErrorMessagesList() {
    assertEquals(
        "POST /embed, POST /v1/embeddings, GET /v1/models, POST /v1/completions,"
            + " POST /v1/chat/completions, POST /predict, POST /classify, POST /rerank,"
            + " POST /v1/rerank, POST /answer, POST /explain, GET /info",
        Routes.summary(Routes.ALL));
    assertEquals(Routes.ALL, Routes.apiGateway());
    assertThrows(
        IllegalArgumentException.class,
        () -> new Routes.Route(Routes.Method.GET, "info", "info", Set.of()));
  }

  @Test
  void theStreamingLambdaServesExactlyTheStreamingRoutesAndOnlyPosts() {
    assertEquals(
        List.of("POST /v1/completions", "POST /v1/chat/completions"),
        Routes.streaming().stream().map(Routes.Route::key).toList());
    assertEquals(Routes.streaming(), Routes.servedBy(Routes.Deployable.STREAMING_LAMBDA));
    assertEquals(Routes.streaming().get(1), Routes.at("/v1/chat/completions"));
    assertEquals(null, Routes.at("/v1/nothing"));
  }
}
