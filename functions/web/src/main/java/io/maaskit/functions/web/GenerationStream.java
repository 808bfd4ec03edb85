package io.maaskit.functions.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.ErrorMapper;
import io.maaskit.functions.GenerationCalls;
import io.maaskit.functions.routes.Routes;
import io.maaskit.model.task.Cancellation;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import org.jboss.logging.Logger;

/**
 * The streaming routes of the route table ({@link Routes#streaming()}) on the Vert.x deployables
 * (local / container server, and the buffered API Gateway Lambda through Quarkus's bridge): after
 * the API key, host, size and method checks, {@link GenerationCalls} parses the body once and
 * answers whole, or with {@code "stream": true} as server-sent events written as the decode loop
 * makes text final. Refusals go through the glue's one error mapping before the first byte. On the
 * buffered API Gateway Lambda the bridge collects the events into one {@code text/event-stream}
 * body; the streaming Lambda ({@code StreamingRuntime}) sends them one by one.
 */
@ApplicationScoped
public class GenerationStream {
  private static final Logger LOG = Logger.getLogger(GenerationStream.class);

  private final ObjectMapper json;
  private final GenerationCalls calls;
  private final HttpGlue glue;

  public GenerationStream(ObjectMapper json, GenerationCalls calls, HttpGlue glue) {
    this.json = json;
    this.calls = calls;
    this.glue = glue;
  }

  void install(@Observes Router router) {
    for (Routes.Route route : Routes.streaming()) {
      router
          .route(io.vertx.core.http.HttpMethod.valueOf(route.method().name()), route.path())
          .order(Integer.MIN_VALUE + 4)
          .handler(ctx -> route(ctx, route));
    }
  }

  private void route(RoutingContext ctx, Routes.Route route) {
    Cancellation given = ctx.get(HttpGlue.CANCELLATION);
    Cancellation c = given == null ? Cancellation.NONE : given;
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    ctx.vertx()
        .executeBlocking(
            () -> {
              answer(ctx, route, body == null ? null : body.getBytes(), c);
              return null;
            },
            false)
        .onFailure(t -> LOG.warn("answering a generation failed", t));
  }

  private void answer(RoutingContext ctx, Routes.Route route, byte[] body, Cancellation c) {
    try {
      GenerationCalls.Call call = calls.parse(route, body);
      if (call.stream()) {
        calls.stream(call, c, new ResponseSink(ctx.response()));
      } else {
        writeWhole(ctx, calls.whole(call, c));
      }
    } catch (RuntimeException e) {
      glue.write(ctx, ErrorMapper.map(e));
    }
  }

  private void writeWhole(RoutingContext ctx, Object answer) {
    String text;
    try {
      text = json.writeValueAsString(answer);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("could not write the answer", e);
    }
    if (!ctx.response().closed() && !ctx.response().ended()) {
      ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(text);
    }
  }

  /** The event stream on a chunked HTTP response. */
  private record ResponseSink(HttpServerResponse response) implements GenerationCalls.EventSink {
    @Override
    public void open() {
      response
          .setStatusCode(200)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no")
          .setChunked(true);
    }

    @Override
    public void write(byte[] event) throws IOException {
      if (response.closed() || response.ended()) {
        throw new IOException("the client closed the connection");
      }
      response.write(Buffer.buffer(event));
    }

    @Override
    public void end() {
      if (!response.ended() && !response.closed()) {
        response.end();
      }
    }
  }
}
