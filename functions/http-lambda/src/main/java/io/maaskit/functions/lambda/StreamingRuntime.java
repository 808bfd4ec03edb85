package io.maaskit.functions.lambda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.functions.ErrorMapper;
import io.maaskit.functions.GenerationCalls;
import io.maaskit.functions.routes.Routes;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.Cancellation;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.jboss.logging.Logger;

/**
 * The streaming Lambda function: a Lambda Runtime API loop of its own that answers the streaming
 * routes ({@link Routes#streaming()}) with the events leaving the function one by one, as the
 * decode loop makes text final. Lambda's managed Java runtime has no streaming handler, so this
 * loop speaks the Runtime API's streaming mode itself (<a
 * href="https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming">Implementing
 * response streaming in a custom runtime</a>): the response is a chunked POST to {@code
 * /2018-06-01/runtime/invocation/{id}/response} with {@code Lambda-Runtime-Function-Response-Mode:
 * streaming}, its body in the HTTP integration format that Function URLs (<a
 * href="https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html">invoking a
 * streaming function URL</a>) and API Gateway REST APIs with {@code responseTransferMode: STREAM}
 * (<a
 * href="https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html">Lambda
 * proxy integration with response streaming</a>) read: a JSON prelude with the status and headers,
 * 8 NUL bytes, then the body. A failure after the prelude is reported in the trailers {@code
 * Lambda-Runtime-Function-Error-Type} and {@code Lambda-Runtime-Function-Error-Body}.
 *
 * <p>The request is bound by {@link GenerationCalls}, the streaming routes' one binding, and every
 * refusal by {@link ErrorMapper}; the events are the local server's, byte for byte. A caller that
 * hangs up ends the Runtime API connection: the next write fails, the sequence's cancellation turns
 * true and the decode loop drops it at its next step. The invocation's deadline ({@code
 * Lambda-Runtime-Deadline-Ms}, less a margin) cancels it too.
 *
 * <p>It runs in the same {@code function.zip} as the buffered function, started by {@code
 * stream-runtime} (the zip's {@code AWS_LAMBDA_EXEC_WRAPPER} script) in place of the managed
 * runtime's own loop; {@link #main} boots the Quarkus application as the managed handler would.
 */
public final class StreamingRuntime {
  private static final Logger LOG = Logger.getLogger(StreamingRuntime.class);

  /** The Runtime API's version prefix. */
  static final String API = "/2018-06-01/runtime";

  /** The content type of a streamed HTTP response (prelude, 8 NUL bytes, body). */
  static final String HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response";

  /** Time kept back from the invocation's deadline to end the stream. */
  static final Duration MARGIN = Duration.ofMillis(500);

  private final String api;
  private final GenerationCalls calls;
  private final ObjectMapper json;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /**
   * @param api the Runtime API's {@code host:port} ({@code AWS_LAMBDA_RUNTIME_API})
   * @param calls the streaming routes' binding
   * @param json the application's mapper (strict parsing)
   */
  public StreamingRuntime(String api, GenerationCalls calls, ObjectMapper json) {
    this.api = api;
    this.calls = calls;
    this.json = json;
  }

  /** Boots the application (as the managed runtime's handler does) and serves until killed. */
  public static void main(String[] args) {
    String api = System.getenv("AWS_LAMBDA_RUNTIME_API");
    if (api == null || api.isBlank()) {
      System.err.println("StreamingRuntime runs inside Lambda: AWS_LAMBDA_RUNTIME_API is not set");
      System.exit(2);
    }
    StreamingRuntime runtime;
    try {
      new io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler(); // starts Quarkus once
      var container = io.quarkus.arc.Arc.container();
      runtime =
          new StreamingRuntime(
              api,
              container.instance(GenerationCalls.class).get(),
              container.instance(ObjectMapper.class).get());
    } catch (RuntimeException | Error e) {
      initError(api, e);
      throw e;
    }
    while (true) {
      try {
        runtime.serveNext();
      } catch (IOException e) {
        LOG.error("the Runtime API failed; trying the next invocation", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void initError(String api, Throwable e) {
    try {
      HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://" + api + API + "/init/error"))
                  .header("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"errorMessage\":\""
                              + String.valueOf(e.getMessage()).replace("\"", "'")
                              + "\",\"errorType\":\""
                              + e.getClass().getName()
                              + "\"}"))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
    } catch (IOException | InterruptedException ignored) {
      // the process exits next; Lambda reports the failed init either way
    }
  }

  /**
   * What became of one invocation.
   *
   * @param status the HTTP status sent in the prelude
   * @param chunks body chunks sent after the prelude (one per event when streamed)
   * @param streamed whether the answer was an event stream
   * @param clientGone why the caller stopped reading, or null
   * @param failure what ended a stream early (a cancellation), or null when it ran to its end
   */
  public record Outcome(
      String requestId,
      int status,
      int chunks,
      boolean streamed,
      String clientGone,
      String failure) {}

  /**
   * Takes the next invocation ({@code GET /invocation/next}, which blocks until there is one) and
   * answers it.
   */
  public Outcome serveNext() throws IOException, InterruptedException {
    HttpResponse<byte[]> next =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + api + API + "/invocation/next"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    String id = next.headers().firstValue("Lambda-Runtime-Aws-Request-Id").orElse(null);
    if (next.statusCode() != 200 || id == null) {
      throw new IOException(
          "GET /invocation/next answered " + next.statusCode() + " without an id");
    }
    long deadlineMs =
        next.headers()
            .firstValue("Lambda-Runtime-Deadline-Ms")
            .map(Long::parseLong)
            .orElse(System.currentTimeMillis() + 900_000);
    Duration remaining =
        Duration.ofMillis(Math.max(0, deadlineMs - System.currentTimeMillis() - MARGIN.toMillis()));
    return answer(id, next.body(), Cancellation.deadline(remaining));
  }

  /** The HTTP request inside a REST API proxy event or a Function URL event. */
  record HttpCall(String method, String path, Map<String, String> headers, byte[] body) {
    /**
     * Reads an API Gateway REST API proxy event (payload format 1.0: {@code httpMethod}, {@code
     * path}) or a Function URL event (payload format 2.0: {@code requestContext.http.method},
     * {@code rawPath}).
     */
    static HttpCall of(JsonNode event) {
      String method;
      String path;
      if (event.hasNonNull("httpMethod")) {
        method = event.get("httpMethod").asText();
        path = event.path("path").asText(null);
      } else if (event.path("requestContext").has("http")) {
        method = event.path("requestContext").path("http").path("method").asText(null);
        path = event.path("rawPath").asText(null);
      } else {
        throw new InvalidRequestException(
            "the streaming function answers HTTP events (a Function URL's or an API Gateway REST"
                + " API's), not this event");
      }
      Map<String, String> headers = new LinkedHashMap<>();
      for (var h : event.path("headers").properties()) {
        headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue().asText());
      }
      JsonNode b = event.get("body");
      byte[] body;
      if (b == null || b.isNull()) {
        body = new byte[0];
      } else if (event.path("isBase64Encoded").asBoolean(false)) {
        body = Base64.getMimeDecoder().decode(b.asText());
      } else {
        body = b.asText().getBytes(StandardCharsets.UTF_8);
      }
      return new HttpCall(method, path, headers, body);
    }
  }

  /** Answers one invocation through a streamed response. */
  Outcome answer(String requestId, byte[] event, Cancellation deadline) throws IOException {
    try (ResponseStream out = ResponseStream.open(api, requestId)) {
      Cancellation c = deadline.or(out::gone);
      int status = 200;
      boolean streamed = false;
      String failure = null;
      try {
        HttpCall http = HttpCall.of(json.readTree(event));
        ErrorMapper.Mapped refused = refuse(http);
        if (refused != null) {
          status = writeError(out, refused);
        } else {
          GenerationCalls.Call call = calls.parse(Routes.at(http.path()), http.body());
          if (call.stream()) {
            streamed = true;
            failure = waitFor(calls.stream(call, c, new Sink(out)));
          } else {
            writeWhole(out, calls.whole(call, c));
          }
        }
      } catch (RuntimeException | JsonProcessingException e) {
        if (!out.opened()) {
          status = writeError(out, ErrorMapper.map(e));
        } else {
          out.fail(e); // after the prelude: the trailers say what went wrong
          status = 500;
        }
      }
      out.finish();
      return new Outcome(requestId, status, out.chunks() - 1, streamed, out.gone(), failure);
    }
  }

  /** Waits for the stream's end: null when it ran to its end, else what stopped it. */
  private static String waitFor(CompletableFuture<?> done) {
    try {
      done.get();
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while streaming", e);
    } catch (ExecutionException e) {
      Throwable t = e.getCause();
      if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
        t = t.getCause();
      }
      return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
  }

  /** 404 for a path that is not a streaming route, 405 for another method, 415 for non-JSON. */
  private static ErrorMapper.Mapped refuse(HttpCall http) {
    Routes.Route route = Routes.at(http.path() == null ? "" : http.path());
    if (route == null || !route.streams()) {
      return new ErrorMapper.Mapped(
          404,
          ErrorMapper.ErrorBody.of(
              404,
              "not_found",
              "no route "
                  + http.method()
                  + " "
                  + http.path()
                  + " on the streaming function; routes: "
                  + Routes.summary(Routes.streaming())),
          null);
    }
    if (!route.method().name().equals(http.method())) {
      return new ErrorMapper.Mapped(
          405,
          ErrorMapper.ErrorBody.of(
              405,
              "method_not_allowed",
              http.method() + " is not allowed on " + http.path() + "; use " + route.key()),
          null);
    }
    String type = http.headers().getOrDefault("content-type", "");
    if (!type.split(";", 2)[0].trim().equalsIgnoreCase("application/json")) {
      return new ErrorMapper.Mapped(
          415,
          ErrorMapper.ErrorBody.of(
              415,
              "unsupported_media_type",
              route.key() + " takes a JSON body: send 'Content-Type: application/json'"),
          null);
    }
    return null;
  }

  private int writeError(ResponseStream out, ErrorMapper.Mapped m) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    if (m.retryAfterSeconds() != null) {
      headers.put("Retry-After", Long.toString(m.retryAfterSeconds()));
    }
    out.prelude(prelude(m.status(), headers));
    out.chunk(json.writeValueAsBytes(m.body()));
    return m.status();
  }

  private void writeWhole(ResponseStream out, Object answer) throws IOException {
    out.prelude(prelude(200, Map.of("Content-Type", "application/json")));
    out.chunk(json.writeValueAsBytes(answer));
  }

  /** The HTTP integration prelude: {@code {"statusCode", "headers"}} then 8 NUL bytes. */
  byte[] prelude(int status, Map<String, String> headers) throws JsonProcessingException {
    ObjectNode p = json.createObjectNode();
    p.put("statusCode", status);
    ObjectNode h = p.putObject("headers");
    headers.forEach(h::put);
    byte[] meta = json.writeValueAsBytes(p);
    byte[] out = new byte[meta.length + 8];
    System.arraycopy(meta, 0, out, 0, meta.length);
    return out;
  }

  /** The events of one answer, each one chunk of the Runtime API response. */
  private final class Sink implements GenerationCalls.EventSink {
    private final ResponseStream out;

    Sink(ResponseStream out) {
      this.out = out;
    }

    @Override
    public void open() {
      try {
        out.prelude(
            prelude(
                200,
                Map.of(
                    "Content-Type",
                    "text/event-stream; charset=utf-8",
                    "Cache-Control",
                    "no-cache")));
      } catch (IOException e) {
        // the caller is gone: the events' writes fail next and cancel the sequence
        LOG.debugf("writing the prelude failed: %s", e);
      }
    }

    @Override
    public void write(byte[] event) throws IOException {
      out.chunk(event);
    }

    @Override
    public void end() {}
  }
}
