package io.maaskit.functions.routes;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The one route table: every HTTP route of the functions, the Funqy function behind it and the
 * deployables that expose it. The HTTP glue names these routes in its 404s, the CDK stacks build
 * their API Gateway routes from {@link #apiGateway()}, and tests hold {@code ModelFunctions}'
 * {@code @Funq} methods and {@code sam-template.yaml}'s routes to this table.
 *
 * <pre>{@code
 * for (Routes.Route r : Routes.apiGateway()) {
 *   api.addRoute(r.method().name(), r.path());   // "POST", "/embed"
 * }
 * }</pre>
 */
public final class Routes {
  private Routes() {}

  /** HTTP methods the functions answer. */
  public enum Method {
    GET,
    POST
  }

  /** The deployables that serve HTTP. */
  public enum Deployable {
    /** The local / container HTTP server ({@code functions/http}). */
    HTTP_SERVER,
    /** The API Gateway HTTP API → Lambda function ({@code functions/http-lambda}), buffered. */
    API_GATEWAY,
    /**
     * The streaming Lambda function ({@code functions/http-lambda}'s {@code StreamingRuntime})
     * behind a Function URL ({@code InvokeMode: RESPONSE_STREAM}) and an API Gateway REST API whose
     * Lambda proxy integration streams ({@code responseTransferMode: STREAM}).
     */
    STREAMING_LAMBDA
  }

  /**
   * One route.
   *
   * @param method the HTTP method
   * @param path the path, starting with {@code /}
   * @param function the {@code @Funq} name of the function that answers it
   * @param deployables where the route is exposed
   * @param streams whether the route answers {@code "stream": true} with server-sent events; such a
   *     route is bound by the streaming binding (one parse, whole or streamed), not by a
   *     {@code @Funq} method
   */
  public record Route(
      Method method, String path, String function, Set<Deployable> deployables, boolean streams) {
    public Route {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("route path must start with '/': " + path);
      }
      deployables = Set.copyOf(deployables);
    }

    /** A route that answers whole. */
    public Route(Method method, String path, String function, Set<Deployable> deployables) {
      this(method, path, function, deployables, false);
    }

    /** {@code "POST /embed"}: API Gateway's route key. */
    public String key() {
      return method + " " + path;
    }
  }

  private static final Set<Deployable> BUFFERED =
      EnumSet.of(Deployable.HTTP_SERVER, Deployable.API_GATEWAY);
  private static final Set<Deployable> EVERY = EnumSet.allOf(Deployable.class);

  /** Every route, in the order the documentation lists them. */
  public static final List<Route> ALL =
      List.of(
          new Route(Method.POST, "/embed", "embed", BUFFERED),
          new Route(Method.POST, "/v1/embeddings", "v1/embeddings", BUFFERED),
          new Route(Method.GET, "/v1/models", "v1/models", BUFFERED),
          new Route(Method.POST, "/v1/completions", "v1/completions", EVERY, true),
          new Route(Method.POST, "/v1/chat/completions", "v1/chat/completions", EVERY, true),
          new Route(Method.POST, "/predict", "predict", BUFFERED),
          new Route(Method.POST, "/classify", "classify", BUFFERED),
          new Route(Method.POST, "/rerank", "rerank", BUFFERED),
          new Route(Method.POST, "/v1/rerank", "v1/rerank", BUFFERED),
          new Route(Method.POST, "/answer", "answer", BUFFERED),
          new Route(Method.POST, "/explain", "explain", BUFFERED),
          new Route(Method.GET, "/info", "info", BUFFERED));

  /** The routes one deployable exposes. */
  public static List<Route> servedBy(Deployable deployable) {
    return ALL.stream().filter(r -> r.deployables().contains(deployable)).toList();
  }

  /** The routes the API Gateway HTTP API forwards to the HTTP Lambda function. */
  public static List<Route> apiGateway() {
    return servedBy(Deployable.API_GATEWAY);
  }

  /** The routes that stream: the streaming Lambda's, and the streaming binding's everywhere. */
  public static List<Route> streaming() {
    return ALL.stream().filter(Route::streams).toList();
  }

  /** The route at {@code path}, or null. */
  public static Route at(String path) {
    return ALL.stream().filter(r -> r.path().equals(path)).findFirst().orElse(null);
  }

  /** {@code "POST /embed, POST /v1/embeddings, ..."}: for error messages. */
  public static String summary(List<Route> routes) {
    return routes.stream().map(Route::key).collect(Collectors.joining(", "));
  }
}
