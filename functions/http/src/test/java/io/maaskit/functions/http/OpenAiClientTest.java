package io.maaskit.functions.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import io.maaskit.functions.testing.ModelStoreResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java client (openai-java) against the local server serving the tiny random
 * Llama package: completions, chat, streaming with usage, log-probabilities, seeded sampling, and
 * the 4xx answers the client turns into its typed exceptions.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class OpenAiClientTest {
  static final String MODEL = ModelStoreResource.GENERATOR;

  @TestHTTPResource("/v1")
  URL base;

  private OpenAIClient client() {
    return client(base);
  }

  /** The official client against the test server at {@code base}, without retries. */
  static OpenAIClient client(URL base) {
    return OpenAIOkHttpClient.builder()
        .baseUrl(base.toString())
        .apiKey("unused")
        .maxRetries(0)
        .build();
  }

  @Test
  void completionIsGreedyAndCounted() {
    OpenAIClient c = client();
    CompletionCreateParams p =
        CompletionCreateParams.builder()
            .model(MODEL)
            .prompt("The capital of France is")
            .maxTokens(12)
            .temperature(0.0)
            .build();
    Completion a = c.completions().create(p);
    Completion b = c.completions().create(p);
    assertEquals(1, a.choices().size());
    CompletionChoice choice = a.choices().get(0);
    assertEquals(a.choices().get(0).text(), b.choices().get(0).text(), "greedy is deterministic");
    assertTrue(
        choice.finishReason().equals(CompletionChoice.FinishReason.LENGTH)
            || choice.finishReason().equals(CompletionChoice.FinishReason.STOP));
    var usage = a.usage().orElseThrow();
    assertTrue(usage.promptTokens() > 0);
    assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
    if (choice.finishReason().equals(CompletionChoice.FinishReason.LENGTH)) {
      assertEquals(12, usage.completionTokens());
    }
    assertEquals(MODEL, a.model());
  }

  @Test
  void chatCompletionAnswersAsTheAssistant() {
    ChatCompletion r =
        client()
            .chat()
            .completions()
            .create(
                ChatCompletionCreateParams.builder()
                    .model(MODEL)
                    .addSystemMessage("You are terse.")
                    .addUserMessage("Say hello.")
                    .maxCompletionTokens(10)
                    .temperature(0.0)
                    .build());
    ChatCompletion.Choice choice = r.choices().get(0);
    assertEquals("assistant", choice.message()._role().asString().orElseThrow());
    assertTrue(choice.message().content().isPresent());
    // ChatML around two messages plus the generation prompt: more tokens than the texts alone
    assertTrue(r.usage().orElseThrow().promptTokens() > 20, r.usage().toString());
  }

  @Test
  void seededSamplingRepeatsAndOtherSeedsDiffer() {
    OpenAIClient c = client();
    List<String> texts = new ArrayList<>();
    for (long seed : new long[] {42, 42, 43}) {
      texts.add(
          c.completions()
              .create(
                  CompletionCreateParams.builder()
                      .model(MODEL)
                      .prompt("Once upon a time")
                      .maxTokens(24)
                      .temperature(1.0)
                      .seed(seed)
                      .build())
              .choices()
              .get(0)
              .text());
    }
    assertEquals(texts.get(0), texts.get(1));
    assertNotEquals(texts.get(0), texts.get(2));
  }

  @Test
  void nChoicesWithASeed() {
    ChatCompletion r =
        client()
            .chat()
            .completions()
            .create(
                ChatCompletionCreateParams.builder()
                    .model(MODEL)
                    .addUserMessage("Hi")
                    .maxCompletionTokens(16)
                    .temperature(1.0)
                    .seed(7)
                    .n(3)
                    .build());
    assertEquals(3, r.choices().size());
    assertEquals(
        List.of(0L, 1L, 2L), r.choices().stream().map(ChatCompletion.Choice::index).toList());
  }

  @Test
  void streamingChatWithUsageMatchesTheWholeAnswer() {
    OpenAIClient c = client();
    ChatCompletionCreateParams.Builder p =
        ChatCompletionCreateParams.builder()
            .model(MODEL)
            .addUserMessage("Tell me a story.")
            .maxCompletionTokens(30)
            .temperature(0.8)
            .seed(5);
    String whole =
        c.chat().completions().create(p.build()).choices().get(0).message().content().orElse("");
    StringBuilder streamed = new StringBuilder();
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> s =
        c.chat()
            .completions()
            .createStreaming(
                p.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      s.stream().forEach(chunks::add);
    }
    for (ChatCompletionChunk ch : chunks) {
      for (ChatCompletionChunk.Choice choice : ch.choices()) {
        choice.delta().content().ifPresent(streamed::append);
      }
    }
    assertEquals(whole, streamed.toString());
    assertTrue(chunks.get(0).choices().get(0).delta().role().isPresent(), "first delta has role");
    ChatCompletionChunk last = chunks.get(chunks.size() - 1);
    assertTrue(last.choices().isEmpty());
    var usage = last.usage().orElseThrow();
    assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
    assertTrue(
        chunks.stream()
            .flatMap(ch -> ch.choices().stream())
            .anyMatch(ch -> ch.finishReason().isPresent()),
        "a chunk carries the finish_reason");
  }

  @Test
  void streamingCompletion() {
    OpenAIClient c = client();
    CompletionCreateParams p =
        CompletionCreateParams.builder()
            .model(MODEL)
            .prompt("Hello")
            .maxTokens(20)
            .temperature(0.0)
            .build();
    String whole = c.completions().create(p).choices().get(0).text();
    StringBuilder streamed = new StringBuilder();
    try (StreamResponse<Completion> s = c.completions().createStreaming(p)) {
      s.stream().forEach(ch -> ch.choices().forEach(x -> streamed.append(x.text())));
    }
    assertEquals(whole, streamed.toString());
  }

  @Test
  void chatLogprobsCarryBytesAndAlternatives() {
    ChatCompletion r =
        client()
            .chat()
            .completions()
            .create(
                ChatCompletionCreateParams.builder()
                    .model(MODEL)
                    .addUserMessage("Hi")
                    .maxCompletionTokens(8)
                    .temperature(0.0)
                    .logprobs(true)
                    .topLogprobs(3)
                    .build());
    List<ChatCompletionTokenLogprob> lps =
        r.choices().get(0).logprobs().orElseThrow().content().orElseThrow();
    assertFalse(lps.isEmpty());
    StringBuilder bytes = new StringBuilder();
    for (ChatCompletionTokenLogprob t : lps) {
      assertTrue(t.logprob() <= 0);
      assertEquals(3, t.topLogprobs().size());
      // greedy: the chosen token is the most likely one
      assertEquals(t.topLogprobs().get(0).logprob(), t.logprob(), 1e-9);
      assertTrue(t.topLogprobs().get(0).logprob() >= t.topLogprobs().get(1).logprob());
      List<Long> b = t.bytes().orElseThrow();
      byte[] raw = new byte[b.size()];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = (byte) b.get(i).intValue();
      }
      bytes.append(new String(raw, StandardCharsets.ISO_8859_1));
    }
    String text = r.choices().get(0).message().content().orElse("");
    String fromBytes =
        new String(bytes.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    if (r.choices().get(0).finishReason().equals(ChatCompletion.Choice.FinishReason.LENGTH)) {
      assertEquals(text, fromBytes, "the tokens' bytes spell the text");
    }
  }

  @Test
  void completionLogprobs() {
    Completion r =
        client()
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model(MODEL)
                    .prompt("Hi")
                    .maxTokens(5)
                    .temperature(0.0)
                    .logprobs(2)
                    .build());
    CompletionChoice.Logprobs lp = r.choices().get(0).logprobs().orElseThrow();
    int n = lp.tokens().orElseThrow().size();
    assertTrue(n > 0);
    assertEquals(n, lp.tokenLogprobs().orElseThrow().size());
    assertEquals(n, lp.topLogprobs().orElseThrow().size());
    assertEquals(0L, lp.textOffset().orElseThrow().get(0));
  }

  @Test
  void unknownModelIs404() {
    NotFoundException e =
        assertThrows(
            NotFoundException.class,
            () ->
                client()
                    .chat()
                    .completions()
                    .create(
                        ChatCompletionCreateParams.builder()
                            .model("no-such-model")
                            .addUserMessage("Hi")
                            .build()));
    assertEquals(404, e.statusCode());
  }

  @Test
  void badRequestsAre400s() {
    OpenAIClient c = client();
    assertEquals(
        400,
        assertThrows(
                BadRequestException.class,
                () ->
                    c.chat()
                        .completions()
                        .create(
                            ChatCompletionCreateParams.builder()
                                .model(MODEL)
                                .messages(List.of())
                                .build()))
            .statusCode());
    assertEquals(
        400,
        assertThrows(
                BadRequestException.class,
                () ->
                    c.completions()
                        .create(
                            CompletionCreateParams.builder()
                                .model(MODEL)
                                .prompt("Hi")
                                .maxTokens(-1)
                                .build()))
            .statusCode());
    assertEquals(
        400,
        assertThrows(
                BadRequestException.class,
                () ->
                    c.chat()
                        .completions()
                        .create(
                            ChatCompletionCreateParams.builder()
                                .model(MODEL)
                                .addUserMessage("Hi")
                                .temperature(2.5)
                                .build()))
            .statusCode());
    BadRequestException tooLong =
        assertThrows(
            BadRequestException.class,
            () ->
                c.completions()
                    .create(
                        CompletionCreateParams.builder()
                            .model(MODEL)
                            .prompt("word ".repeat(100))
                            .maxTokens(200)
                            .build()));
    assertEquals(400, tooLong.statusCode());
    assertTrue(tooLong.getMessage().contains("context"), tooLong.getMessage());
  }

  @Test
  void badRoleIs400WithAMessageNamingTheField() {
    given()
        .contentType(ContentType.JSON)
        .body(
            "{\"model\": \""
                + MODEL
                + "\", \"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}")
        .post("/v1/chat/completions")
        .then()
        .statusCode(400)
        .contentType(ContentType.JSON)
        .body("error.message", containsString("messages[0].role"));
  }

  @Test
  void infoShowsTheGenerationLimits() {
    given()
        .get("/info")
        .then()
        .statusCode(200)
        .body("generation.maxSequences", org.hamcrest.Matchers.equalTo(16))
        .body("generation.maxQueuedRequests", org.hamcrest.Matchers.equalTo(32))
        .body("generation.activeSequences", org.hamcrest.Matchers.greaterThanOrEqualTo(0));
  }

  @Test
  void modelsListGeneratorsWithTheirContextLength() {
    given()
        .get("/v1/models")
        .then()
        .statusCode(200)
        .body(
            "data.find { it.name == '" + MODEL + "' }.context_length",
            org.hamcrest.Matchers.equalTo(256))
        .body(
            "data.find { it.name == '" + MODEL + "' }.capabilities",
            org.hamcrest.Matchers.hasItem("generator"));
  }
}
