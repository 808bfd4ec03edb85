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
      if (r.binding() != Routes.Binding.ROUTER) {
        assertEquals("/" + r.function(), r.path(), "Funqy serves a function at /<name>");
      }
    }
  }

  @Test
  void summaryIsWhatTheErrorMessagesList() {
    assertEquals(
        "POST /embed, POST /v1/embeddings, GET /v1/models, POST /v1/completions,"
            + " POST /v1/chat/completions, POST /predict, POST /classify, POST /rerank,"
            + " POST /v1/rerank, POST /answer, POST /explain, GET /info, POST /v1/files,"
            + " GET /v1/files, GET /v1/files/{id}, GET /v1/files/{id}/content,"
            + " DELETE /v1/files/{id}, POST /v1/batches, GET /v1/batches, GET /v1/batches/{id},"
            + " POST /v1/batches/{id}/cancel",
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

  @Test
  void pathParametersMatchOneNonEmptySegment() {
    assertEquals(
        List.of("GET /v1/files/{id}", "DELETE /v1/files/{id}"),
        Routes.matching("/v1/files/file-abc").stream().map(Routes.Route::key).toList());
    assertEquals(
        List.of("GET /v1/files/{id}/content"),
        Routes.matching("/v1/files/file-abc/content").stream().map(Routes.Route::key).toList());
    assertEquals(
        List.of("POST /v1/files", "GET /v1/files"),
        Routes.matching("/v1/files").stream().map(Routes.Route::key).toList());
    assertEquals(List.of(), Routes.matching("/v1/files//content"));
    assertEquals(List.of(), Routes.matching("/v1/batches/b/cancel/now"));
    assertEquals(
        List.of("POST /v1/batches/{id}/cancel"),
        Routes.matching("/v1/batches/batch_1/cancel").stream().map(Routes.Route::key).toList());
  }

  @Test
  void theFilesAndBatchesApisAreRouterBoundAndBuffered() {
    List<Routes.Route> router =
        Routes.ALL.stream().filter(r -> r.binding() == Routes.Binding.ROUTER).toList();
    assertEquals(9, router.size());
    for (Routes.Route r : router) {
      assertEquals(
          true, r.path().startsWith("/v1/files") || r.path().startsWith("/v1/batches"), r.key());
      assertEquals(
          Set.of(Routes.Deployable.HTTP_SERVER, Routes.Deployable.API_GATEWAY), r.deployables());
    }
  }
}
