package io.maaskit.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.functions.GenerationCalls;
import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.model.task.GenerationService;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The streaming Lambda function ({@link StreamingRuntime}) against a Runtime API endpoint written
 * from AWS's documented wire format ({@link RuntimeApiEndpoint}: no emulator that streams runs
 * here), with real API Gateway REST API (proxy, {@code responseTransferMode: STREAM}) and Function
 * URL event JSON. Shows the events leaving the function one by one while the sequence is still
 * being generated, the streamed text equal to the whole answer for the same seed, refusals as an
 * HTTP integration response with their status, and a caller that hangs up mid-stream cancelling the
 * sequence.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class StreamingRuntimeTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Inject GenerationCalls calls;
  @Inject ObjectMapper json;
  @Inject GenerationService generation;

  RuntimeApiEndpoint endpoint;
  StreamingRuntime runtime;

  @BeforeEach
  void start() throws Exception {
    endpoint = new RuntimeApiEndpoint();
    runtime = new StreamingRuntime(endpoint.address(), calls, json);
  }

  @AfterEach
  void stop() throws Exception {
    endpoint.close();
  }

  static byte[] event(String file) throws Exception {
    try (InputStream in = StreamingRuntimeTest.class.getResourceAsStream("/events/" + file)) {
      return in.readAllBytes();
    }
  }

  /** The event with its JSON body changed by {@code edit}. */
  static byte[] withBody(byte[] event, java.util.function.Consumer<ObjectNode> edit)
      throws Exception {
    ObjectNode e = (ObjectNode) JSON.readTree(event);
    ObjectNode body = (ObjectNode) JSON.readTree(e.get("body").asText());
    edit.accept(body);
    e.put("body", JSON.writeValueAsString(body));
    return JSON.writeValueAsBytes(e);
  }

  /** A streamed HTTP integration response: the prelude's JSON and the body's chunks. */
  record Http(JsonNode prelude, List<byte[]> body) {
    static Http of(RuntimeApiEndpoint.Response r) throws Exception {
      assertEquals("streaming", r.headers().get("lambda-runtime-function-response-mode"));
      assertEquals(StreamingRuntime.HTTP_INTEGRATION, r.headers().get("content-type"));
      byte[] first = r.chunks().get(0);
      assertTrue(first.length > 8, "a prelude first");
      assertArrayEquals(new byte[8], Arrays.copyOfRange(first, first.length - 8, first.length));
      JsonNode prelude = JSON.readTree(Arrays.copyOf(first, first.length - 8));
      return new Http(prelude, r.chunks().subList(1, r.chunks().size()));
    }

    JsonNode json() throws Exception {
      java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
      body.forEach(b::writeBytes);
      return JSON.readTree(b.toByteArray());
    }
  }

  /** The JSON of one event chunk ({@code data: {...}\n\n}), or null for {@code [DONE]}. */
  static JsonNode event(byte[] chunk) throws Exception {
    String s = new String(chunk, StandardCharsets.UTF_8);
    assertTrue(s.startsWith("data: ") && s.endsWith("\n\n"), "one whole event per chunk: " + s);
    String data = s.substring(6, s.length() - 2);
    return data.equals("[DONE]") ? null : JSON.readTree(data);
  }

  static boolean hasContent(JsonNode event) {
    for (JsonNode ch : event.path("choices")) {
      if (!ch.path("delta").path("content").asText("").isEmpty()) {
        return true;
      }
    }
    return false;
  }

  @Test
  void eventsLeaveOneByOneWhileGeneratingAndEqualTheWholeAnswer() throws Exception {
    // While each event with text arrives, how many sequences the decode loop is still running.
    List<Integer> activeAtContent = new ArrayList<>();
    var streamed =
        endpoint.invoke(
            event("rest-api-chat-completion-stream.json"),
            60_000,
            (i, chunk) -> {
              if (i > 0) {
                try {
                  JsonNode e = event(chunk);
                  if (e != null && hasContent(e)) {
                    activeAtContent.add(generation.activeSequences());
                  }
                } catch (Exception ex) {
                  throw new IllegalStateException(ex);
                }
              }
              return true;
            });
    StreamingRuntime.Outcome o = runtime.serveNext();
    assertNull(o.clientGone());
    assertNull(o.failure());
    assertTrue(o.streamed());
    Http http = Http.of(streamed.get(30, TimeUnit.SECONDS));
    assertEquals(200, http.prelude().get("statusCode").asInt(), http.prelude().toString());
    assertTrue(
        http.prelude()
            .path("headers")
            .path("Content-Type")
            .asText()
            .startsWith("text/event-stream"));

    List<JsonNode> events = new ArrayList<>();
    for (byte[] chunk : http.body()) {
      events.add(event(chunk));
    }
    assertNull(events.get(events.size() - 1), "the last event is [DONE]");
    StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
    for (JsonNode e : events.subList(0, events.size() - 1)) {
      for (JsonNode ch : e.path("choices")) {
        text[ch.get("index").asInt()].append(ch.path("delta").path("content").asText(""));
      }
    }
    JsonNode usage = events.get(events.size() - 2).get("usage");
    int completionTokens = usage.get("completion_tokens").asInt();
    // One event per text delta, each its own chunk, and the first ones arrived while the decode
    // loop was still generating the sequences: not one body written at the end.
    assertTrue(activeAtContent.size() >= 3, activeAtContent.toString());
    for (int k = 0; k < 3; k++) {
      assertTrue(activeAtContent.get(k) > 0, "event " + k + " arrived after generation ended");
    }
    assertEquals(0, generation.activeSequences());

    // The same request answered whole, through a Function URL event: the same text per choice.
    var whole = endpoint.invoke(event("function-url-chat-completion.json"), 60_000, null);
    StreamingRuntime.Outcome w = runtime.serveNext();
    assertFalse(w.streamed());
    Http wholeHttp = Http.of(whole.get(30, TimeUnit.SECONDS));
    assertEquals(200, wholeHttp.prelude().get("statusCode").asInt());
    JsonNode completion = wholeHttp.json();
    assertEquals("chat.completion", completion.get("object").asText(), completion.toString());
    for (JsonNode ch : completion.get("choices")) {
      assertEquals(
          ch.get("message").get("content").asText(),
          text[ch.get("index").asInt()].toString(),
          "choice " + ch.get("index"));
    }
    assertEquals(completionTokens, completion.get("usage").get("completion_tokens").asInt());
  }

  @Test
  void aCallerThatHangsUpMidStreamCancelsTheSequence() throws Exception {
    int[] contentSeen = {0};
    var streamed =
        endpoint.invoke(
            event("rest-api-chat-completion-stream.json"),
            60_000,
            (i, chunk) -> {
              try {
                if (i > 0 && event(chunk) != null && hasContent(event(chunk))) {
                  contentSeen[0]++;
                }
              } catch (Exception ex) {
                throw new IllegalStateException(ex);
              }
              return contentSeen[0] < 3; // hang up after the third event with text
            });
    StreamingRuntime.Outcome o = runtime.serveNext();
    assertTrue(streamed.get(30, TimeUnit.SECONDS).hungUp());
    assertNotNull(o.clientGone(), "the runtime saw the caller go");
    // The decode loop checks each job's cancellation before every step: the generation ended
    // as cancelled, not by running to its end, and its sequences are gone from the batch.
    assertNotNull(o.failure(), o.toString());
    assertTrue(o.failure().startsWith("RequestCancelledException"), o.toString());
    assertTrue(o.failure().contains("Runtime API"), o.toString());
    assertTrue(o.chunks() < 2 * 150, o.toString());
    assertEquals(0, generation.activeSequences(), "the sequences were dropped");
  }

  @Test
  void refusalsAreHttpResponsesWithTheirStatusAndNoEvents() throws Exception {
    var bad =
        endpoint.invoke(
            withBody(event("rest-api-chat-completion-stream.json"), b -> b.put("max_tokens", -1)),
            60_000,
            null);
    StreamingRuntime.Outcome o = runtime.serveNext();
    assertEquals(400, o.status());
    Http http = Http.of(bad.get(30, TimeUnit.SECONDS));
    assertEquals(400, http.prelude().get("statusCode").asInt());
    assertEquals("application/json", http.prelude().path("headers").path("Content-Type").asText());
    JsonNode err = http.json().get("error");
    assertEquals("invalid_request_error", err.get("type").asText());
    assertTrue(err.get("message").asText().contains("max_tokens"), err.toString());

    ObjectNode e = (ObjectNode) JSON.readTree(event("function-url-chat-completion.json"));
    e.put("rawPath", "/embed");
    var embed = endpoint.invoke(JSON.writeValueAsBytes(e), 60_000, null);
    assertEquals(404, runtime.serveNext().status());
    JsonNode notFound = Http.of(embed.get(30, TimeUnit.SECONDS)).json().get("error");
    assertTrue(
        notFound.get("message").asText().contains("POST /v1/chat/completions"),
        notFound.toString());
  }
}
