package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.errors.BadRequestException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import io.maaskit.functions.testing.ModelStoreResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Files and Batches APIs of the embedded server (no queue: batches run in the server's own
 * background pool, files and states in a local directory), driven by the official OpenAI Java
 * client: upload, create, poll, download; and every bad input answered 400 with nothing created.
 */
@QuarkusTest
@TestProfile(BatchLocalTest.Profile.class)
class BatchLocalTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String EMBEDDER = "all-minilm-l6-v2";

  public static class Profile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      Map<String, String> c = new LinkedHashMap<>(new ModelStoreResource().start());
      c.put(
          "maas.batch.store",
          Path.of("target", "batch-local-" + ProcessHandle.current().pid())
              .toAbsolutePath()
              .toString());
      c.put("maas.batch.chunk-lines", "3");
      c.put("maas.batch.max-file-lines", "40");
      c.put("maas.batch.max-file-bytes", "65536");
      return c;
    }
  }

  @TestHTTPResource("/v1")
  URL base;

  static String line(String id, String url, String body) {
    return "{\"custom_id\": \""
        + id
        + "\", \"method\": \"POST\", \"url\": \""
        + url
        + "\", \"body\": "
        + body
        + "}\n";
  }

  static Batch await(OpenAIClient c, String id) throws InterruptedException {
    long deadline = System.nanoTime() + 120_000_000_000L;
    Batch b = c.batches().retrieve(id);
    while (!List.of("completed", "failed", "cancelled", "expired").contains(b.status().asString())
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
      b = c.batches().retrieve(id);
    }
    return b;
  }

  static List<JsonNode> lines(OpenAIClient c, String fileId) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (InputStream in = c.files().content(fileId).body()) {
      for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!l.isBlank()) {
          out.add(JSON.readTree(l));
        }
      }
    }
    return out;
  }

  static FileObject upload(OpenAIClient c, String content) {
    return upload(c, content, FilePurpose.BATCH);
  }

  /** Uploads {@code content} as a file named requests.jsonl, as a client uploads from disk. */
  static FileObject upload(OpenAIClient c, String content, FilePurpose purpose) {
    try {
      Path dir = Files.createTempDirectory("batch-upload");
      Path file = Files.writeString(dir.resolve("requests.jsonl"), content);
      try {
        return c.files().create(FileCreateParams.builder().file(file).purpose(purpose).build());
      } finally {
        Files.delete(file);
        Files.delete(dir);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Batch create(OpenAIClient c, String fileId, BatchCreateParams.Endpoint endpoint) {
    return c.batches()
        .create(
            BatchCreateParams.builder()
                .inputFileId(fileId)
                .endpoint(endpoint)
                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                .build());
  }

  @Test
  void anEmbeddingsBatchAnswersEveryLineOnceLikeTheRequestsOneByOne() throws Exception {
    OpenAIClient c = OpenAiClientTest.client(base);
    List<String> texts = List.of("the cat sat", "on the mat", "batches", "of", "text", "ok", "z");
    StringBuilder file = new StringBuilder();
    for (int i = 0; i < texts.size(); i++) {
      file.append(
          line(
              "e" + i,
              "/v1/embeddings",
              "{\"model\": \"" + EMBEDDER + "\", \"input\": \"" + texts.get(i) + "\"}"));
      if (i == 1) {
        file.append("{\"custom_id\": \"broken\", \"body\": \n"); // line 3: bad JSON
      }
      if (i == 3) {
        file.append(line("elsewhere", "/v1/rerank", "{\"query\": \"q\"}")); // line 6: wrong url
      }
      if (i == 5) {
        file.append(
            line("nomodel", "/v1/embeddings", "{\"model\": \"no-such-model\", \"input\": \"x\"}"));
      }
    }
    FileObject f = upload(c, file.toString());
    assertEquals("batch", f.purpose().asString());
    assertEquals("requests.jsonl", f.filename());
    assertEquals(file.toString().getBytes(StandardCharsets.UTF_8).length, f.bytes());
    Batch b = create(c, f.id(), BatchCreateParams.Endpoint.V1_EMBEDDINGS);
    b = await(c, b.id());
    assertEquals("completed", b.status().asString(), b.toString());
    var counts = b.requestCounts().orElseThrow();
    assertEquals(10, counts.total());
    assertEquals(7, counts.completed());
    assertEquals(3, counts.failed());

    List<JsonNode> out = lines(c, b.outputFileId().orElseThrow());
    assertEquals(7, out.size());
    for (int i = 0; i < texts.size(); i++) {
      JsonNode o = out.get(i);
      assertEquals("e" + i, o.get("custom_id").asText(), "input order");
      assertEquals(200, o.at("/response/status_code").asInt());
      assertTrue(o.get("error").isNull());
      CreateEmbeddingResponse one =
          c.embeddings()
              .create(EmbeddingCreateParams.builder().model(EMBEDDER).input(texts.get(i)).build());
      List<Float> expected = one.data().get(0).embedding();
      JsonNode got = o.at("/response/body/data/0/embedding");
      assertEquals(expected.size(), got.size());
      for (int d = 0; d < expected.size(); d++) {
        assertEquals(expected.get(d), got.get(d).floatValue(), 1e-6f, "dimension " + d);
      }
    }
    List<JsonNode> err = lines(c, b.errorFileId().orElseThrow());
    assertEquals(3, err.size());
    assertEquals(3, err.get(0).at("/error/line").asInt());
    assertEquals("invalid_json", err.get(0).at("/error/code").asText());
    assertEquals("elsewhere", err.get(1).get("custom_id").asText());
    assertEquals(6, err.get(1).at("/error/line").asInt());
    assertEquals("invalid_url", err.get(1).at("/error/code").asText());
    assertEquals("nomodel", err.get(2).get("custom_id").asText());
    assertEquals(9, err.get(2).at("/error/line").asInt());
    assertEquals(404, err.get(2).at("/response/status_code").asInt());
    assertEquals("model_not_found", err.get(2).at("/error/code").asText());
  }

  @Test
  void aChatBatchAnswersAsTheChatRoute() throws Exception {
    OpenAIClient c = OpenAiClientTest.client(base);
    String gen = ModelStoreResource.GENERATOR;
    List<String> prompts = List.of("Say hello.", "Count to three.");
    StringBuilder file = new StringBuilder();
    for (int i = 0; i < prompts.size(); i++) {
      file.append(
          line(
              "c" + i,
              "/v1/chat/completions",
              "{\"model\": \""
                  + gen
                  + "\", \"max_tokens\": 8, \"temperature\": 0, \"messages\":"
                  + " [{\"role\": \"user\", \"content\": \""
                  + prompts.get(i)
                  + "\"}]}"));
    }
    FileObject f = upload(c, file.toString());
    Batch b = await(c, create(c, f.id(), BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS).id());
    assertEquals("completed", b.status().asString(), b.toString());
    List<JsonNode> out = lines(c, b.outputFileId().orElseThrow());
    assertEquals(2, out.size());
    for (int i = 0; i < prompts.size(); i++) {
      ChatCompletion one =
          c.chat()
              .completions()
              .create(
                  ChatCompletionCreateParams.builder()
                      .model(gen)
                      .maxTokens(8)
                      .temperature(0.0)
                      .addUserMessage(prompts.get(i))
                      .build());
      JsonNode o = out.get(i);
      assertEquals("c" + i, o.get("custom_id").asText());
      assertEquals("chat.completion", o.at("/response/body/object").asText());
      assertEquals(
          one.choices().get(0).message().content().orElseThrow(),
          o.at("/response/body/choices/0/message/content").asText());
    }
  }

  @Test
  void badInputIsRefusedWith400AndCreatesNothing() {
    OpenAIClient c = OpenAiClientTest.client(base);
    long files = c.files().list().data().size();
    long batches = c.batches().list().data().size();

    var notJsonl = assertThrows(BadRequestException.class, () -> upload(c, "id,text\n1,hello\n"));
    assertTrue(notJsonl.getMessage().contains("not JSONL"), notJsonl.getMessage());
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 41; i++) {
      many.append(line("m" + i, "/v1/embeddings", "{\"input\": \"x\"}"));
    }
    var tooMany = assertThrows(BadRequestException.class, () -> upload(c, many.toString()));
    assertTrue(tooMany.getMessage().contains("more than 40 lines"), tooMany.getMessage());
    String big = line("big", "/v1/embeddings", "{\"input\": \"" + "x".repeat(70_000) + "\"}");
    var tooBig = assertThrows(BadRequestException.class, () -> upload(c, big));
    assertTrue(tooBig.getMessage().contains("65536 bytes"), tooBig.getMessage());
    var purpose =
        assertThrows(
            BadRequestException.class,
            () ->
                c.files()
                    .create(
                        FileCreateParams.builder()
                            .file(
                                line("p", "/v1/embeddings", "{}").getBytes(StandardCharsets.UTF_8))
                            .purpose(FilePurpose.ASSISTANTS)
                            .build()));
    assertTrue(purpose.getMessage().contains("'purpose' must be 'batch'"), purpose.getMessage());
    assertEquals(files, c.files().list().data().size(), "no file was half-created");

    var missing =
        assertThrows(
            BadRequestException.class,
            () ->
                create(
                    c, "file-000000000000000000000000", BatchCreateParams.Endpoint.V1_EMBEDDINGS));
    assertTrue(missing.getMessage().contains("no file"), missing.getMessage());
    FileObject ok = upload(c, line("k", "/v1/embeddings", "{\"input\": \"x\"}"));
    var endpoint =
        assertThrows(
            BadRequestException.class,
            () -> create(c, ok.id(), BatchCreateParams.Endpoint.V1_MODERATIONS));
    assertTrue(endpoint.getMessage().contains("'endpoint' must be one of"), endpoint.getMessage());
    assertEquals(batches, c.batches().list().data().size(), "no batch was half-created");
    assertFalse(c.files().delete(ok.id()).id().isEmpty());
  }
}
