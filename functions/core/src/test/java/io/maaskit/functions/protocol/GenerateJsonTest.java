package io.maaskit.functions.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.ChatMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** OpenAI-shaped generation bodies to core requests, and the 400s for what does not fit. */
class GenerateJsonTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static GenerateJson.Call chat(String body) throws Exception {
    return GenerateJson.chat(JSON.readTree(body));
  }

  static GenerateJson.Call completion(String body) throws Exception {
    return GenerateJson.completion(JSON.readTree(body));
  }

  @Test
  void chatFieldsMapToTheRequest() throws Exception {
    GenerateJson.Call c =
        chat(
            "{\"model\": \"m\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                + " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hi \"},"
                + " {\"type\": \"text\", \"text\": \"there\"}]}], \"max_completion_tokens\": 9,"
                + " \"temperature\": 0.5, \"top_p\": 0.9, \"seed\": 12345678901, \"stop\": \"END\","
                + " \"n\": 2, \"logprobs\": true, \"top_logprobs\": 3, \"stream\": true,"
                + " \"stream_options\": {\"include_usage\": true}, \"user\": \"ignored\"}");
    assertTrue(c.chat() && c.stream() && c.includeUsage());
    assertEquals(
        List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi there")),
        c.request().messages());
    var s = c.request().sampling();
    assertEquals(9, s.maxTokens());
    assertEquals(0.5, s.temperature());
    assertEquals(0.9, s.topP());
    assertEquals(12345678901L, s.seed());
    assertEquals(List.of("END"), s.stop());
    assertEquals(2, s.n());
    assertEquals(3, s.topLogprobs());
  }

  @Test
  void completionFields() throws Exception {
    GenerateJson.Call c =
        completion(
            "{\"prompt\": [\"Once\"], \"max_tokens\": 4, \"logprobs\": 0, \"stop\": [\"a\", \"b\"]}");
    assertEquals("Once", c.request().prompt());
    assertNull(c.request().model());
    assertEquals(0, c.request().sampling().topLogprobs());
    assertEquals(List.of("a", "b"), c.request().sampling().stop());
    assertTrue(!c.stream() && !c.chat());
    assertNull(completion("{\"prompt\": \"x\"}").request().sampling().topLogprobs());
  }

  @Test
  void badShapesAre400sNamingTheField() {
    String user = "[{\"role\": \"user\", \"content\": \"x\"}]";
    assertMessage("'messages' must not be empty", () -> chat("{\"messages\": []}"));
    assertMessage(
        "'messages[0].role' must be one of",
        () -> chat("{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}"));
    assertMessage(
        "'messages[0].content[0]'",
        () ->
            chat(
                "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}"));
    assertMessage(
        "'temperature' must be a number",
        () -> chat("{\"messages\": " + user + ", \"temperature\": \"hot\"}"));
    assertMessage(
        "'top_logprobs' needs", () -> chat("{\"messages\": " + user + ", \"top_logprobs\": 2}"));
    assertMessage("'prompt' is required", () -> completion("{}"));
    assertMessage("one string", () -> completion("{\"prompt\": [\"a\", \"b\"]}"));
    assertMessage(
        "'stop' items must be strings", () -> completion("{\"prompt\": \"a\", \"stop\": [1]}"));
    assertMessage(
        "'stream' must be true or false",
        () -> completion("{\"prompt\": \"a\", \"stream\": \"yes\"}"));
  }

  interface Call {
    Object run() throws Exception;
  }

  static void assertMessage(String part, Call call) {
    InvalidRequestException e = assertThrows(InvalidRequestException.class, call::run);
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
