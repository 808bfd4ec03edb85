package io.maaskit.functions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.protocol.GenerateJson;
import io.maaskit.functions.protocol.OpenAiGeneration;
import io.maaskit.functions.routes.Routes;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.FinishReason;
import io.maaskit.model.task.Generation;
import io.maaskit.model.task.GenerationListener;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.ToolCall;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The one binding of the streaming routes ({@link Routes#streaming()}: {@code /v1/completions} and
 * {@code /v1/chat/completions}) for every deployable: the body is parsed once, and the same service
 * call answers whole (a {@code text_completion} / {@code chat.completion} object) or as server-sent
 * events ({@code data: {chunk}} … {@code data: [DONE]}) written to an {@link EventSink} as the
 * decode loop makes text final. The Vert.x server writes the sink to its HTTP response, the
 * streaming Lambda to the Runtime API's chunked response. Everything the service refuses (400, 404,
 * 503) is thrown before the first byte, for the caller's one error mapping ({@link ErrorMapper}).
 *
 * <pre>{@code
 * GenerationCalls.Call call = calls.parse(route, bodyBytes);     // one parse
 * if (call.stream()) calls.stream(call, cancellation, sink);     // events, then sink.end()
 * else write(calls.whole(call, cancellation));                   // one JSON object
 * }</pre>
 */
@ApplicationScoped
public class GenerationCalls {
  private final ObjectMapper json;
  private final GenerationService service;

  public GenerationCalls(ObjectMapper json, GenerationService service) {
    this.json = json;
    this.service = service;
  }

  /** Where the events of one streamed answer go: bytes, in order, then the end. */
  public interface EventSink {
    /** Called once, before the first event: the response's status is 200 from here on. */
    void open();

    /** One framed event's bytes ({@code data: …\n\n}); may throw when the client went away. */
    void write(byte[] event) throws IOException;

    /** The stream is complete ({@code [DONE]} written, or an error event after a failure). */
    void end();
  }

  /** A parsed request of a streaming route. */
  public record Call(Routes.Route route, GenerateJson.Call bound) {
    /** Whether the caller asked for events ({@code "stream": true}). */
    public boolean stream() {
      return bound.stream();
    }
  }

  /**
   * Parses a streaming route's body, strictly (the server's {@link StrictJson} mapper): malformed
   * JSON or UTF-8 is an {@link io.maaskit.model.error.InvalidRequestException} like any bad field.
   */
  public Call parse(Routes.Route route, byte[] body) {
    if (!route.streams()) {
      throw new IllegalArgumentException(route.key() + " is not a streaming route");
    }
    JsonNode node;
    try {
      node = body == null || body.length == 0 ? null : json.readTree(body);
    } catch (JsonProcessingException e) {
      throw new io.maaskit.model.error.InvalidRequestException(
          "request body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new io.maaskit.model.error.InvalidRequestException(
          "request body is not valid JSON: " + e.getMessage());
    }
    if (node == null) {
      throw new io.maaskit.model.error.InvalidRequestException(
          "request body is not valid JSON: the body is empty");
    }
    boolean chat = route.function().equals("v1/chat/completions");
    return new Call(route, chat ? GenerateJson.chat(node) : GenerateJson.completion(node));
  }

  /** The whole answer: a {@code text_completion} or a {@code chat.completion}. */
  public Object whole(Call call, Cancellation cancellation) {
    Generation g = service.generate(call.bound().request(), cancellation);
    boolean chat = call.bound().chat();
    String id = OpenAiGeneration.id(chat);
    return chat
        ? OpenAiGeneration.chat(g, id, OpenAiGeneration.now())
        : OpenAiGeneration.completion(g, id, OpenAiGeneration.now());
  }

  /**
   * Starts the generation and streams it to {@code sink}. Refusals are thrown here, before {@link
   * EventSink#open()}; after it, a failure is one error event and the end (no {@code [DONE]}). A
   * sink whose write fails (the client hung up) cancels the sequence: the decode loop drops it at
   * its next step. No thread waits: the returned future completes once the stream has ended, with
   * the generation, or with the failure that ended it ({@link
   * io.maaskit.model.error.RequestCancelledException} when the caller went away).
   */
  public CompletableFuture<Generation> stream(
      Call call, Cancellation cancellation, EventSink sink) {
    GenerateJson.Call bound = call.bound();
    String model =
        bound.request().model() != null ? bound.request().model() : service.defaultModel();
    int n = bound.request().sampling().n() == null ? 1 : bound.request().sampling().n();
    Events events =
        new Events(
            sink,
            new OpenAiGeneration.Chunks(
                OpenAiGeneration.id(bound.chat()), OpenAiGeneration.now(), model, bound.chat()),
            n);
    GenerationService.Started started =
        service.start(bound.request(), cancellation.or(events::gone), events);
    events.open();
    boolean usage = bound.includeUsage();
    return started
        .result()
        .whenComplete(
            (g, failure) -> {
              if (failure == null) {
                events.end(usage ? g : null);
              } else {
                events.fail(ErrorMapper.map(failure));
              }
            });
  }

  /** The event stream of one response; written from the decode loop's thread. */
  private final class Events implements GenerationListener {
    private final EventSink sink;
    private final OpenAiGeneration.Chunks chunks;
    private final int[] offsets;
    private volatile String gone;
    private boolean opened;
    private boolean ended;

    Events(EventSink sink, OpenAiGeneration.Chunks chunks, int n) {
      this.sink = sink;
      this.chunks = chunks;
      this.offsets = new int[n];
    }

    /** Why the stream cannot be written any more, or null: the sequence's cancellation. */
    String gone() {
      return gone;
    }

    synchronized void open() {
      if (opened) {
        return;
      }
      opened = true;
      sink.open();
      for (int i = 0; i < offsets.length; i++) {
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
      close();
    }

    /** A failure after the stream began: one error event, then the end (no [DONE]). */
    synchronized void fail(ErrorMapper.Mapped m) {
      if (ended) {
        return;
      }
      open();
      event(m.body());
      close();
    }

    private void close() {
      if (!ended) {
        ended = true;
        sink.end();
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
      if (ended || gone != null) {
        return;
      }
      try {
        sink.write(s.getBytes(StandardCharsets.UTF_8));
      } catch (IOException | RuntimeException e) {
        gone = "the client went away during the stream (" + e.getMessage() + ")";
      }
    }
  }
}
