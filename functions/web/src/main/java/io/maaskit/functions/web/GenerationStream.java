package io.maaskit.functions.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.ErrorMapper;
import io.maaskit.functions.protocol.OpenAiGeneration;
import io.maaskit.model.json.GenerateJson;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.FinishReason;
import io.maaskit.model.task.Generation;
import io.maaskit.model.task.GenerationListener;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.ToolCall;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * {@code "stream": true} on {@code POST /v1/completions} and {@code /v1/chat/completions}: server-
 * sent events ({@code data: {chunk}}, then {@code data: [DONE]}) written as the decode loop makes
 * text final. A Vert.x route in front of Funqy (which has no streaming), after the API key, host,
 * size and method checks; a request without {@code stream} goes on to the {@code @Funq} function.
 * Everything the service can refuse (400, 404, 503) is refused before the first byte, as a JSON
 * error with its status. On API Gateway the Lambda bridge collects the same events and returns the
 * whole {@code text/event-stream} body at once (Lambda's Java runtime cannot stream).
 */
@ApplicationScoped
public class GenerationStream {
  private static final Logger LOG = Logger.getLogger(GenerationStream.class);

  private final ObjectMapper json;
  private final GenerationService service;
  private final HttpGlue glue;

  public GenerationStream(ObjectMapper json, GenerationService service, HttpGlue glue) {
    this.json = json;
    this.service = service;
    this.glue = glue;
  }

  void install(@Observes Router router) {
    router.post("/v1/completions").order(Integer.MIN_VALUE + 4).handler(ctx -> route(ctx, false));
    router
        .post("/v1/chat/completions")
        .order(Integer.MIN_VALUE + 4)
        .handler(ctx -> route(ctx, true));
  }

  private void route(RoutingContext ctx, boolean chat) {
    JsonNode body;
    try {
      Buffer b = ctx.body() == null ? null : ctx.body().buffer();
      body = b == null || b.length() == 0 ? null : json.readTree(b.getBytes());
    } catch (java.io.IOException e) {
      ctx.next(); // Funqy reports malformed JSON through the glue's error handler
      return;
    }
    if (body == null || !body.isObject() || !body.path("stream").asBoolean(false)) {
      ctx.next();
      return;
    }
    Cancellation cancellation = ctx.get(HttpGlue.CANCELLATION);
    Cancellation c = cancellation == null ? Cancellation.NONE : cancellation;
    ctx.vertx()
        .executeBlocking(
            () -> {
              stream(ctx, body, chat, c);
              return null;
            },
            false)
        .onFailure(t -> LOG.warn("streaming a generation failed", t));
  }

  private void stream(RoutingContext ctx, JsonNode body, boolean chat, Cancellation c) {
    Sse sse;
    GenerationService.Started started;
    GenerateJson.Call call;
    try {
      call = chat ? GenerateJson.chat(body) : GenerateJson.completion(body);
      String model =
          call.request().model() != null ? call.request().model() : service.defaultModel();
      sse =
          new Sse(
              ctx.response(),
              new OpenAiGeneration.Chunks(
                  OpenAiGeneration.id(chat), OpenAiGeneration.now(), model, chat),
              call.request().sampling().n() == null ? 1 : call.request().sampling().n());
      started = service.start(call.request(), c, sse);
    } catch (RuntimeException e) {
      glue.write(ctx, ErrorMapper.map(e));
      return;
    }
    sse.open();
    // No thread waits for the decode loop: its completion writes the end of the stream.
    boolean usage = call.includeUsage();
    started
        .result()
        .whenComplete(
            (g, failure) -> {
              if (failure == null) {
                sse.end(usage ? g : null);
              } else {
                sse.fail(ErrorMapper.map(failure));
              }
            });
  }

  /** The event stream of one response; written from the decode loop's thread. */
  private final class Sse implements GenerationListener {
    private final HttpServerResponse response;
    private final OpenAiGeneration.Chunks chunks;
    private final int n;
    private final int[] offsets;
    private boolean opened;
    private boolean ended;

    Sse(HttpServerResponse response, OpenAiGeneration.Chunks chunks, int n) {
      this.response = response;
      this.chunks = chunks;
      this.n = n;
      this.offsets = new int[n];
    }

    synchronized void open() {
      if (opened) {
        return;
      }
      opened = true;
      response
          .setStatusCode(200)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no")
          .setChunked(true);
      for (int i = 0; i < n; i++) {
        Object role = chunks.role(i);
        if (role != null) {
          event(role);
        }
      }
    }

    @Override
    public synchronized void delta(int choice, String text, List<Generation.TokenLogprob> lps) {
      open();
      event(chunks.delta(choice, text, lps, offsets[choice]));
      offsets[choice] += text.length();
    }

    @Override
    public synchronized void toolCalls(int choice, List<ToolCall> calls) {
      open();
      event(chunks.toolCalls(choice, calls));
    }

    @Override
    public synchronized void finished(int choice, FinishReason reason) {
      open();
      event(chunks.finish(choice, reason));
    }

    synchronized void end(Generation usage) {
      open();
      if (usage != null) {
        event(chunks.usage(usage));
      }
      write("data: [DONE]\n\n");
      ended = true;
      if (!response.ended() && !response.closed()) {
        response.end();
      }
    }

    /** A failure after the stream began: one error event, then the end (no [DONE]). */
    synchronized void fail(ErrorMapper.Mapped m) {
      if (ended || response.closed()) {
        return;
      }
      open();
      event(m.body());
      ended = true;
      if (!response.ended()) {
        response.end();
      }
    }

    private void event(Object chunk) {
      try {
        write("data: " + json.writeValueAsString(chunk) + "\n\n");
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("could not write a stream chunk", e);
      }
    }

    private void write(String s) {
      if (ended || response.closed() || response.ended()) {
        return;
      }
      response.write(Buffer.buffer(s.getBytes(StandardCharsets.UTF_8)));
    }
  }
}
