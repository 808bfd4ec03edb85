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
    POST,
    DELETE
  }

  /** What answers a route in the HTTP deployables. */
  public enum Binding {
    /** A {@code @Funq} method named {@code function}, at {@code /<function>}; answers whole. */
    FUNQY,
    /**
     * The streaming binding ({@code GenerationCalls}): one parse, answered whole or as server-sent
     * events when the body asks {@code "stream": true}.
     */
    STREAMING,
    /**
     * A handler on the HTTP router ({@code BatchRoutes}): the Files and Batches APIs, whose paths
     * carry parameters ({@code {id}}) and whose uploads are {@code multipart/form-data}.
     */
    ROUTER
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
   * @param path the path, starting with {@code /}; a segment {@code {name}} is a path parameter
   *     (API Gateway's syntax), matching any one segment
   * @param function the name of what answers it: the {@code @Funq} name of a {@link Binding#FUNQY}
   *     or {@link Binding#STREAMING} route, an operation name ({@code files/create}) for a {@link
   *     Binding#ROUTER} route
   * @param deployables where the route is exposed
   * @param binding what answers it
   */
  public record Route(
      Method method, String path, String function, Set<Deployable> deployables, Binding binding) {
    public Route {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("route path must start with '/': " + path);
      }
      deployables = Set.copyOf(deployables);
    }

    /** A {@code @Funq} route that answers whole. */
    public Route(Method method, String path, String function, Set<Deployable> deployables) {
      this(method, path, function, deployables, Binding.FUNQY);
    }

    /** Whether the route answers {@code "stream": true} with server-sent events. */
    public boolean streams() {
      return binding == Binding.STREAMING;
    }

    /** {@code "POST /embed"}: API Gateway's route key. */
    public String key() {
      return method + " " + path;
    }

    /** Whether a request path is this route's, a parameter matching any one non-empty segment. */
    public boolean matches(String requestPath) {
      String[] want = path.split("/", -1);
      String[] got = requestPath.split("/", -1);
      if (want.length != got.length) {
        return false;
      }
      for (int i = 0; i < want.length; i++) {
        boolean param = want[i].startsWith("{") && want[i].endsWith("}");
        if (param ? got[i].isEmpty() : !want[i].equals(got[i])) {
          return false;
        }
      }
      return true;
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
          new Route(Method.POST, "/v1/completions", "v1/completions", EVERY, Binding.STREAMING),
          new Route(
              Method.POST, "/v1/chat/completions", "v1/chat/completions", EVERY, Binding.STREAMING),
          new Route(Method.POST, "/predict", "predict", BUFFERED),
          new Route(Method.POST, "/classify", "classify", BUFFERED),
          new Route(Method.POST, "/rerank", "rerank", BUFFERED),
          new Route(Method.POST, "/v1/rerank", "v1/rerank", BUFFERED),
          new Route(Method.POST, "/answer", "answer", BUFFERED),
          new Route(Method.POST, "/explain", "explain", BUFFERED),
          new Route(Method.GET, "/info", "info", BUFFERED),
          new Route(Method.POST, "/v1/files", "files/create", BUFFERED, Binding.ROUTER),
          new Route(Method.GET, "/v1/files", "files/list", BUFFERED, Binding.ROUTER),
          new Route(Method.GET, "/v1/files/{id}", "files/get", BUFFERED, Binding.ROUTER),
          new Route(
              Method.GET, "/v1/files/{id}/content", "files/content", BUFFERED, Binding.ROUTER),
          new Route(Method.DELETE, "/v1/files/{id}", "files/delete", BUFFERED, Binding.ROUTER),
          new Route(Method.POST, "/v1/batches", "batches/create", BUFFERED, Binding.ROUTER),
          new Route(Method.GET, "/v1/batches", "batches/list", BUFFERED, Binding.ROUTER),
          new Route(Method.GET, "/v1/batches/{id}", "batches/get", BUFFERED, Binding.ROUTER),
          new Route(
              Method.POST, "/v1/batches/{id}/cancel", "batches/cancel", BUFFERED, Binding.ROUTER));

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

  /** The first route whose path is exactly {@code path} (no parameters), or null. */
  public static Route at(String path) {
    return ALL.stream().filter(r -> r.path().equals(path)).findFirst().orElse(null);
  }

  /** Every route a request path matches, whatever its method ({@code /v1/files}: GET and POST). */
  public static List<Route> matching(String requestPath) {
    return ALL.stream().filter(r -> r.matches(requestPath)).toList();
  }

  /** {@code "POST /embed, POST /v1/embeddings, ..."}: for error messages. */
  public static String summary(List<Route> routes) {
    return routes.stream().map(Route::key).collect(Collectors.joining(", "));
  }
}
