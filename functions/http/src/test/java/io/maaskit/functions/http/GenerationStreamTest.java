package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.it.TinyDecoders;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server-sent events of {@code "stream": true}, read raw off the wire: the event framing, a
 * multi-byte character that spans tokens arriving whole, a stop string never appearing in any
 * delta, stream and non-stream giving the same text, and refusals arriving as JSON before any
 * event.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class GenerationStreamTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String MODEL = ModelStoreResource.GENERATOR;

  @TestHTTPResource("/")
  URL base;

  private HttpResponse<String> post(String path, JsonNode body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(base.toString()).resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /** The events of a stream: the JSON chunks, and whether it ended with [DONE]. */
  record Events(List<JsonNode> chunks, boolean done) {
    /** Text deltas of a choice, in order. */
    List<String> deltas(int index, boolean chat) {
      List<String> out = new ArrayList<>();
      for (JsonNode c : chunks) {
        for (JsonNode ch : c.path("choices")) {
          if (ch.path("index").asInt() != index) {
            continue;
          }
          JsonNode t = chat ? ch.path("delta").path("content") : ch.path("text");
          if (t.isTextual() && !t.textValue().isEmpty()) {
            out.add(t.textValue());
          }
        }
      }
      return out;
    }

    String finishReason(int index) {
      for (JsonNode c : chunks) {
        for (JsonNode ch : c.path("choices")) {
          if (ch.path("index").asInt() == index && ch.path("finish_reason").isTextual()) {
            return ch.path("finish_reason").textValue();
          }
        }
      }
      return null;
    }
  }

  private Events stream(String path, ObjectNode body) throws Exception {
    body.put("stream", true);
    HttpResponse<String> r = post(path, body);
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(
        r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"),
        r.headers().toString());
    List<JsonNode> chunks = new ArrayList<>();
    boolean done = false;
    for (String event : r.body().split("\n\n")) {
      if (event.isBlank()) {
        continue;
      }
      assertTrue(event.startsWith("data: "), "an SSE data event: " + event);
      String data = event.substring(6);
      assertFalse(done, "nothing after [DONE]");
      if (data.equals("[DONE]")) {
        done = true;
      } else {
        chunks.add(JSON.readTree(data));
      }
    }
    return new Events(chunks, done);
  }

  private JsonNode whole(String path, ObjectNode body) throws Exception {
    HttpResponse<String> r = post(path, body);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private static ObjectNode completion(
      String prompt, int maxTokens, double temperature, long seed) {
    ObjectNode b = JSON.createObjectNode();
    b.put("model", MODEL).put("prompt", prompt).put("max_tokens", maxTokens);
    b.put("temperature", temperature).put("seed", seed);
    return b;
  }

  @Test
  void chatStreamFramingRoleFirstFinishLastThenDone() throws Exception {
    ObjectNode b = JSON.createObjectNode();
    // no "model": the configured default generator (maas.generation.default-model)
    b.put("max_tokens", 12).put("temperature", 0.0);
    b.putArray("messages").addObject().put("role", "user").put("content", "Hi");
    b.putObject("stream_options").put("include_usage", true);
    Events e = stream("/v1/chat/completions", b);
    assertTrue(e.done());
    JsonNode first = e.chunks().get(0);
    assertEquals(MODEL, first.path("model").asText());
    assertEquals("chat.completion.chunk", first.path("object").asText());
    assertEquals("assistant", first.path("choices").get(0).path("delta").path("role").asText());
    String id = first.path("id").asText();
    assertTrue(id.startsWith("chatcmpl-"));
    for (JsonNode c : e.chunks()) {
      assertEquals(id, c.path("id").asText(), "one id per stream");
    }
    JsonNode last = e.chunks().get(e.chunks().size() - 1);
    assertEquals(0, last.path("choices").size());
    assertEquals(
        last.path("usage").path("prompt_tokens").asInt()
            + last.path("usage").path("completion_tokens").asInt(),
        last.path("usage").path("total_tokens").asInt());
    assertTrue(List.of("stop", "length").contains(e.finishReason(0)));
  }

  @Test
  void aMultiByteCharacterSpanningTokensArrivesWhole() throws Exception {
    // The tiny tokenizer has no merges beyond ASCII pairs, so every non-ASCII character is two to
    // four byte tokens; a hot sampler over the random model emits such bytes.
    String found = null;
    for (long seed = 1; seed <= 60 && found == null; seed++) {
      ObjectNode body = completion("Zürich, 東京 and 😀:", 48, 1.5, seed);
      String text =
          whole("/v1/completions", body.deepCopy()).path("choices").get(0).path("text").asText();
      String multi = multiByte(text);
      if (multi == null) {
        continue;
      }
      Events e = stream("/v1/completions", body);
      List<String> deltas = e.deltas(0, false);
      assertEquals(text, String.join("", deltas), "seed " + seed);
      boolean whole = false;
      for (String d : deltas) {
        whole |= d.contains(multi);
      }
      assertTrue(whole, "'" + multi + "' arrives inside one delta: " + deltas);
      found = multi;
    }
    assertTrue(found != null, "some seed generates a multi-byte character");
  }

  /** A character of two or more UTF-8 bytes, other than U+FFFD, if the text has one. */
  private static String multiByte(String text) {
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (cp >= 0x80 && cp != 0xFFFD) {
        return new String(Character.toChars(cp));
      }
      i += Character.charCount(cp);
    }
    return null;
  }

  @Test
  void aStopStringNeverAppearsInAnyDelta() throws Exception {
    int checked = 0;
    for (long seed = 1; seed <= 20 && checked < 3; seed++) {
      String text =
          whole("/v1/completions", completion("Once", 40, 1.0, seed))
              .path("choices")
              .get(0)
              .path("text")
              .asText();
      if (text.length() < 12) {
        continue;
      }
      String stop = text.substring(text.length() / 2, text.length() / 2 + 3);
      if (stop.contains("\uFFFD")) {
        continue;
      }
      String expected = text.substring(0, text.indexOf(stop));
      ObjectNode body = completion("Once", 40, 1.0, seed);
      body.putArray("stop").add(stop);
      JsonNode w = whole("/v1/completions", body.deepCopy());
      assertEquals(expected, w.path("choices").get(0).path("text").asText());
      assertEquals("stop", w.path("choices").get(0).path("finish_reason").asText());
      Events e = stream("/v1/completions", body);
      List<String> deltas = e.deltas(0, false);
      for (String d : deltas) {
        assertFalse(d.contains(stop), "delta '" + d + "' leaks the stop string '" + stop + "'");
      }
      assertEquals(expected, String.join("", deltas));
      assertEquals("stop", e.finishReason(0));
      checked++;
    }
    assertEquals(3, checked, "three seeds gave texts long enough to cut");
  }

  @Test
  void streamAndWholeGiveTheSameTextPerChoice() throws Exception {
    ObjectNode b = JSON.createObjectNode();
    b.put("model", MODEL).put("max_tokens", 24).put("temperature", 0.9).put("seed", 11).put("n", 3);
    b.putArray("messages").addObject().put("role", "user").put("content", "Write a line.");
    JsonNode w = whole("/v1/chat/completions", b.deepCopy());
    Events e = stream("/v1/chat/completions", b);
    for (int i = 0; i < 3; i++) {
      assertEquals(
          w.path("choices").get(i).path("message").path("content").asText(),
          String.join("", e.deltas(i, true)),
          "choice " + i);
      assertEquals(w.path("choices").get(i).path("finish_reason").asText(), e.finishReason(i));
    }
  }

  @Test
  void refusalsComeAsJsonBeforeAnyEvent() throws Exception {
    ObjectNode unknown = completion("Hi", 5, 0.0, 1);
    unknown.put("model", "no-such-model").put("stream", true);
    HttpResponse<String> r = post("/v1/completions", unknown);
    assertEquals(404, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    assertEquals(404, JSON.readTree(r.body()).path("error").path("status").asInt());

    ObjectNode tooLong = completion("word ".repeat(100), 200, 0.0, 1);
    tooLong.put("stream", true);
    r = post("/v1/completions", tooLong);
    assertEquals(400, r.statusCode(), r.body());
    String message = JSON.readTree(r.body()).path("error").path("message").asText();
    assertTrue(message.contains("context holds " + TinyDecoders.CONTEXT), message);

    // A short prompt whose max_tokens runs past the context: the message names the limit and the
    // max_tokens that would fit.
    ObjectNode tooMany = completion("Hi there", TinyDecoders.CONTEXT, 0.0, 1);
    tooMany.put("stream", true);
    r = post("/v1/completions", tooMany);
    assertEquals(400, r.statusCode(), r.body());
    message = JSON.readTree(r.body()).path("error").path("message").asText();
    assertTrue(message.contains("context of " + TinyDecoders.CONTEXT + " tokens"), message);
    assertTrue(message.contains("lower max_tokens to at most "), message);

    ObjectNode badRole = JSON.createObjectNode();
    badRole.put("model", MODEL).put("stream", true);
    badRole.putArray("messages").addObject().put("role", "wizard").put("content", "Hi");
    r = post("/v1/chat/completions", badRole);
    assertEquals(400, r.statusCode(), r.body());
  }
}
