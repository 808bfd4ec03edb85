package io.maaskit.functions.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.ErrorMapper;
import io.maaskit.functions.MaasConfig;
import io.maaskit.functions.ModelServices;
import io.maaskit.functions.routes.Routes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * HTTP glue for every HTTP deployable (local server, container, API Gateway Lambda): an optional
 * API key check in front of the functions, and JSON error bodies for every failure — including the
 * ones Funqy raises before our code runs (malformed JSON, unknown route, wrong method).
 */
@ApplicationScoped
public class HttpGlue {
  private static final String ROUTES = Routes.summary(Routes.ALL);
  private static final Logger LOG = Logger.getLogger(HttpGlue.class);

  /**
   * Routing-context key of the request's {@link io.maaskit.model.task.Cancellation}; a deployable
   * may replace it with one that also has a deadline ({@link #addDeadline}).
   */
  public static final String CANCELLATION = "maas.cancellation";

  /** Routes whose requests take an admission ticket: refused on their headers when it is full. */
  static final java.util.Set<String> ADMITTED =
      java.util.Set.of(
          "/embed", "/v1/embeddings", "/predict", "/classify", "/rerank", "/v1/rerank", "/answer");

  private final ObjectMapper json;
  private final Optional<String> apiKey;
  private final io.maaskit.model.task.Admission admission;

  public HttpGlue(ObjectMapper json, MaasConfig config, ModelServices services) {
    this.json = json;
    this.apiKey = config.apiKey().filter(k -> !k.isBlank());
    this.admission = services.admission();
  }

  /** localhost, 127.x.y.z or ::1 (either spelling), with or without brackets. */
  static boolean isLoopback(String host) {
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return h.equalsIgnoreCase("localhost")
        || h.startsWith("127.")
        || h.equals("::1")
        || h.equals("0:0:0:0:0:0:0:1");
  }

  /**
   * A connection to a loopback address whose Host header names another machine is a page in a
   * browser whose DNS name was rebound to 127.0.0.1, reaching for the local models: 403. Decided
   * per connection (its local address), so API Gateway's virtual requests and connections from
   * other machines to a server on 0.0.0.0 are not affected.
   */
  private void checkHost(RoutingContext ctx) {
    String local;
    try {
      var a = ctx.request().localAddress();
      local = a == null ? null : a.hostAddress();
    } catch (RuntimeException e) {
      local = null;
    }
    if (local == null || !isLoopback(local)) {
      ctx.next();
      return;
    }
    String host = ctx.request().getHeader("Host");
    if (host == null && ctx.request().authority() != null) {
      host = ctx.request().authority().toString(); // HTTP/2 (h2c) requests carry :authority
    }
    String name = host == null ? "" : host.trim();
    if (name.startsWith("[")) {
      int end = name.indexOf(']');
      name = end < 0 ? name : name.substring(0, end + 1);
    } else if (name.indexOf(':') >= 0) {
      name = name.substring(0, name.indexOf(':'));
    }
    if (isLoopback(name)) {
      ctx.next();
      return;
    }
    write(
        ctx,
        new ErrorMapper.Mapped(
            403,
            ErrorMapper.ErrorBody.of(
                403,
                "forbidden_host",
                "on a loopback connection this server answers Host localhost or 127.0.0.1,"
                    + " not '"
                    + (host == null ? "" : host)
                    + "'"),
            null));
  }

  void install(@Observes Router router) {
    // First of all: a cancellation that turns true when the client goes away before its answer is
    // written, so a large batch stops between sub-batches instead of computing for nobody.
    router.route().order(Integer.MIN_VALUE).handler(HttpGlue::watchClient);
    router.route().order(Integer.MIN_VALUE + 1).handler(this::checkSizes);
    router.route().order(Integer.MIN_VALUE + 2).handler(this::callerDeadline);
    router.route().order(Integer.MIN_VALUE + 1).handler(this::checkHost);
    apiKey.ifPresent(
        key -> router.route().order(Integer.MIN_VALUE + 2).handler(ctx -> requireKey(ctx, key)));
    router.route().order(Integer.MIN_VALUE).failureHandler(this::fail);
    // Funqy answers every method on every function; the route table says which one each path has.
    router.route().order(Integer.MIN_VALUE + 3).handler(this::checkMethodAndType);
    // Under overload most requests are refused: decide on the route alone, before the body is
    // read or parsed, on the event loop, so that a refusal costs next to nothing.
    router.route().order(Integer.MIN_VALUE + 4).handler(this::admitEarly);
    // Funqy only routes known functions; anything else would get Vert.x's empty 404.
    router
        .route()
        .last()
        .handler(
            ctx ->
                write(
                    ctx,
                    new ErrorMapper.Mapped(
                        404,
                        ErrorMapper.ErrorBody.of(
                            404,
                            "not_found",
                            "no route "
                                + ctx.request().method()
                                + " "
                                + ctx.request().path()
                                + "; routes: "
                                + ROUTES),
                        null)));
  }

  private static void watchClient(RoutingContext ctx) {
    java.util.concurrent.atomic.AtomicReference<String> gone =
        new java.util.concurrent.atomic.AtomicReference<>();
    ctx.put(CANCELLATION, (io.maaskit.model.task.Cancellation) gone::get);
    ctx.response()
        .closeHandler(
            v -> {
              if (!ctx.response().ended()) {
                gone.set("the client disconnected");
                LOG.debugf(
                    "client disconnected before the answer to %s %s",
                    ctx.request().method(), ctx.request().path());
              }
            });
    ctx.next();
  }

  /**
   * A known path with another method than the table's: 405 with {@code Allow}. A POST whose body is
   * not declared JSON: 415 (a browser's "simple" text/plain POST must not reach a function).
   */
  private void checkMethodAndType(RoutingContext ctx) {
    String path = ctx.request().path();
    java.util.List<Routes.Route> routes = Routes.matching(path);
    if (routes.isEmpty()) {
      ctx.next();
      return;
    }
    HttpMethod method = ctx.request().method();
    Routes.Route route =
        routes.stream()
            .filter(r -> r.method().name().equals(method.name()))
            .findFirst()
            .orElse(null);
    if (route == null) {
      String allow =
          routes.stream()
              .map(r -> r.method().name())
              .distinct()
              .collect(java.util.stream.Collectors.joining(", "));
      ctx.response().putHeader("Allow", allow);
      write(
          ctx,
          new ErrorMapper.Mapped(
              405,
              ErrorMapper.ErrorBody.of(
                  405,
                  "method_not_allowed",
                  method + " is not allowed on " + path + "; use " + Routes.summary(routes)),
              null));
      return;
    }
    // The router-bound routes check their own bodies (an upload is multipart/form-data).
    if (route.method() == Routes.Method.POST && route.binding() != Routes.Binding.ROUTER) {
      String type = ctx.request().getHeader("Content-Type");
      String mime =
          type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
      if (!mime.equals("application/json")) {
        write(
            ctx,
            new ErrorMapper.Mapped(
                415,
                ErrorMapper.ErrorBody.of(
                    415,
                    "unsupported_media_type",
                    route.key()
                        + " takes a JSON body: send 'Content-Type: application/json'"
                        + (type == null ? "" : " (not '" + type + "')")),
                null));
        return;
      }
    }
    ctx.next();
  }

  /**
   * 503 + Retry-After before the body is read when the process's admission is full: the request
   * would be refused after parsing anyway. Its body is discarded unread; the connection stays open.
   */
  private void admitEarly(RoutingContext ctx) {
    if (ctx.request().method() == HttpMethod.POST
        && ADMITTED.contains(ctx.request().path())
        && admission.full()) {
      ErrorMapper.Mapped refused = ErrorMapper.map(admission.refuse());
      discardBody(ctx);
      // Answered after a short pause, on a timer (no thread waits): a client that resends at once
      // without honouring Retry-After otherwise makes refusing its whole load of work, however
      // cheap each refusal is; paused, 40 such connections cost a few hundred refusals a second.
      ctx.vertx()
          .setTimer(
              REFUSAL_PAUSE_MILLIS,
              id -> {
                if (!ctx.response().closed() && !ctx.response().ended()) {
                  write(ctx, refused);
                }
              });
      return;
    }
    ctx.next();
  }

  /** How long a refusal decided on the headers waits before it is answered. */
  static final long REFUSAL_PAUSE_MILLIS = 250;

  /** Longest request line (method, URI, version) answered; longer: 414. */
  public static final int MAX_REQUEST_LINE = 4096;

  /** Most bytes of headers answered; more: 431. */
  public static final int MAX_HEADER_BYTES = 20 * 1024;

  /**
   * 414 and 431 as JSON. Vert.x answers requests over its own decoder limits with an empty body
   * before any route runs, so the server's limits (application.properties) are set well above these
   * and the answer is ours; only requests over those (64 KB) still get Vert.x's empty reply.
   */
  private void checkSizes(RoutingContext ctx) {
    int line = ctx.request().method().name().length() + ctx.request().uri().length() + 10;
    if (line > MAX_REQUEST_LINE) {
      write(
          ctx,
          new ErrorMapper.Mapped(
              414,
              ErrorMapper.ErrorBody.of(
                  414,
                  "uri_too_long",
                  "the request line is "
                      + line
                      + " bytes; at most "
                      + MAX_REQUEST_LINE
                      + " are accepted (send inputs in the JSON body)"),
              null));
      return;
    }
    long headers = 0;
    for (var h : ctx.request().headers()) {
      headers += h.getKey().length() + h.getValue().length() + 4;
    }
    if (headers > MAX_HEADER_BYTES) {
      write(
          ctx,
          new ErrorMapper.Mapped(
              431,
              ErrorMapper.ErrorBody.of(
                  431,
                  "headers_too_large",
                  "the request headers are "
                      + headers
                      + " bytes; at most "
                      + MAX_HEADER_BYTES
                      + " are accepted"),
              null));
      return;
    }
    ctx.next();
  }

  /** Header in which a caller states how long it waits for the answer, in seconds. */
  public static final String TIMEOUT_HEADER = "X-Maas-Timeout";

  /**
   * {@value #TIMEOUT_HEADER}: the caller's deadline. Admission refuses at once (503) a request
   * whose queued work would outlast it, and the work stops between sub-batches once it passes.
   */
  private void callerDeadline(RoutingContext ctx) {
    String t = ctx.request().getHeader(TIMEOUT_HEADER);
    if (t != null) {
      double secs;
      try {
        secs = Double.parseDouble(t.trim());
      } catch (NumberFormatException e) {
        secs = Double.NaN;
      }
      if (!(secs > 0 && secs <= 86_400)) {
        write(
            ctx,
            new ErrorMapper.Mapped(
                400,
                ErrorMapper.ErrorBody.of(
                    400,
                    "invalid_request_error",
                    TIMEOUT_HEADER + " must be seconds from 0 to 86400, like 2.5, not '" + t + "'"),
                null));
        return;
      }
      addDeadline(ctx, java.time.Duration.ofNanos((long) (secs * 1e9)));
    }
    ctx.next();
  }

  /** Adds a deadline to the request's cancellation (a Lambda's remaining time). */
  public static void addDeadline(RoutingContext ctx, java.time.Duration remaining) {
    io.maaskit.model.task.Cancellation c = ctx.get(CANCELLATION);
    io.maaskit.model.task.Cancellation d = io.maaskit.model.task.Cancellation.deadline(remaining);
    ctx.put(CANCELLATION, c == null ? d : c.or(d));
  }

  private void requireKey(RoutingContext ctx, String key) {
    String h = ctx.request().getHeader("Authorization");
    String given =
        h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
    if (given != null
        && MessageDigest.isEqual(
            given.getBytes(StandardCharsets.UTF_8), key.getBytes(StandardCharsets.UTF_8))) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    write(
        ctx,
        new ErrorMapper.Mapped(
            401,
            ErrorMapper.ErrorBody.of(
                401,
                "unauthorized",
                given == null
                    ? "missing API key: send 'Authorization: Bearer <MAAS_API_KEY>'"
                    : "invalid API key"),
            null));
  }

  private void fail(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    Throwable t = ctx.failure();
    if (clientGone(ctx, t)) {
      LOG.debugf(
          "client went away during %s %s: %s", ctx.request().method(), ctx.request().path(), t);
      return;
    }
    ErrorMapper.Mapped m;
    if (t != null) {
      m = ErrorMapper.map(t);
    } else {
      int code = ctx.statusCode();
      HttpMethod method = ctx.request().method();
      String path = ctx.request().path();
      m =
          switch (code) {
            case 400 ->
                ErrorMapper.malformedJson(
                    jsonProblem(ctx.body() == null ? null : ctx.body().buffer()));
            case 404 ->
                new ErrorMapper.Mapped(
                    404,
                    ErrorMapper.ErrorBody.of(
                        404,
                        "not_found",
                        "no route " + method + " " + path + "; routes: " + ROUTES),
                    null);
            case 405 ->
                new ErrorMapper.Mapped(
                    405,
                    ErrorMapper.ErrorBody.of(
                        405,
                        "method_not_allowed",
                        method + " is not allowed on " + path + "; routes: " + ROUTES),
                    null);
            case 413 ->
                new ErrorMapper.Mapped(
                    413,
                    ErrorMapper.ErrorBody.of(
                        413,
                        "payload_too_large",
                        "request body is larger than the server accepts"
                            + " (quarkus.http.limits.max-body-size)"),
                    null);
            default ->
                new ErrorMapper.Mapped(
                    code < 400 ? 500 : code,
                    ErrorMapper.ErrorBody.of(
                        code < 400 ? 500 : code, "error", "request failed with status " + code),
                    null);
          };
    }
    respond(ctx, m);
  }

  /** A closed connection (a client that hung up mid-body or mid-computation): nobody to answer. */
  private static boolean clientGone(RoutingContext ctx, Throwable t) {
    if (ctx.response().closed()) {
      return true;
    }
    for (Throwable e = t; e != null; e = e.getCause() == e ? null : e.getCause()) {
      if (e instanceof io.vertx.core.http.HttpClosedException
          || (e instanceof io.vertx.core.VertxException
              && String.valueOf(e.getMessage()).contains("Connection was closed"))) {
        return true;
      }
    }
    return false;
  }

  private String jsonProblem(Buffer body) {
    if (body == null || body.length() == 0) {
      return "the body is empty";
    }
    try {
      json.readTree(body.getBytes());
      return "its structure does not fit this route";
    } catch (JsonProcessingException e) {
      return e.getOriginalMessage();
    } catch (java.io.IOException e) {
      return e.getMessage();
    }
  }

  /**
   * Answers with an error. A request answered before its body was read (a refusal decided on the
   * headers) has the rest of its body discarded as it arrives, unparsed: left unread it would stall
   * the connection, which a keep-alive client reuses for its next request.
   */
  void write(RoutingContext ctx, ErrorMapper.Mapped m) {
    if (ctx.failure() == null) {
      discardBody(ctx);
    }
    respond(ctx, m);
  }

  private static void discardBody(RoutingContext ctx) {
    var request = ctx.request();
    if (!request.isEnded()) {
      request.handler(ignored -> {});
      request.resume();
    }
  }

  private void respond(RoutingContext ctx, ErrorMapper.Mapped m) {
    try {
      if (m.retryAfterSeconds() != null) {
        ctx.response().putHeader("Retry-After", Long.toString(m.retryAfterSeconds()));
      }
      ctx.response()
          .setStatusCode(m.status())
          .putHeader("Content-Type", "application/json")
          .end(json.writeValueAsString(m.body()));
    } catch (JsonProcessingException e) {
      ctx.response().setStatusCode(500).end();
    }
  }
}
