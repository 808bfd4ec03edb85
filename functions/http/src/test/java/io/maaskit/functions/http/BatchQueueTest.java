package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.errors.BadRequestException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileObject;
import io.maaskit.functions.QueueServices;
import io.maaskit.functions.batch.BatchTaskProvider;
import io.maaskit.functions.protocol.QueueJson;
import io.maaskit.it.TestModels;
import io.maaskit.model.queue.ElasticMqServer;
import io.maaskit.model.queue.QueueMessageHandler;
import io.maaskit.model.queue.QueueWorker;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.queue.TaskOutput;
import io.maaskit.model.store.S3TestServer;
import io.maaskit.model.task.Cancellation;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Batches fanned out over a real queue (ElasticMQ) and a real object store (S3Proxy): the server
 * validates and sends one message per chunk; the server's own queue worker and workers started here
 * run them; results, states and files live in S3. One worker is killed in the middle of a chunk and
 * nothing is lost or duplicated; a cancelled batch ends with counts that add up.
 */
@QuarkusTest
@QuarkusTestResource(value = BatchQueueTest.Servers.class, restrictToAnnotatedClass = true)
class BatchQueueTest {
  static S3TestServer s3;
  static String queueUrl;

  public static class Servers implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
      try {
        s3 = S3TestServer.inMemory();
        s3.createBucket("batches");
        System.setProperty("aws.accessKeyId", S3TestServer.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3TestServer.SECRET_KEY);
        System.setProperty("aws.region", "us-east-1");
        try (SqsClient sqs = ElasticMqServer.shared().client()) {
          queueUrl = ElasticMqServer.createQueue(sqs, "batch-chunks", Map.of());
        }
        return Map.ofEntries(
            Map.entry("maas.model-store", TestModels.storeRoot().toString()),
            Map.entry("maas.default-model", "all-minilm-l6-v2"),
            Map.entry("maas.cache-dir", Path.of("target", "cache").toAbsolutePath().toString()),
            Map.entry("maas.queue.url", queueUrl),
            Map.entry("maas.queue.wait-seconds", "1"),
            Map.entry("maas.queue.visibility-seconds", "15"),
            Map.entry("maas.queue.max-messages", "1"),
            Map.entry("maas.queue.concurrency", "1"),
            Map.entry("maas.sqs.endpoint", ElasticMqServer.shared().endpoint().toString()),
            Map.entry("maas.s3.endpoint", s3.endpoint().toString()),
            Map.entry("maas.results.uri", "s3://batches/queue-results"),
            Map.entry("maas.batch.store", "s3://batches/store"),
            Map.entry("maas.batch.chunk-lines", "50"));
      } catch (Exception e) {
        throw new IllegalStateException("could not start the batch test servers", e);
      }
    }

    @Override
    public void stop() {
      try {
        if (s3 != null) {
          s3.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  @Inject QueueServices queues;
  @Inject BatchTaskProvider batchTask;
  @Inject ObjectMapper json;

  @TestHTTPResource("/v1")
  URL base;

  private final List<QueueWorker> workers = new ArrayList<>();
  private final List<SqsClient> clients = new ArrayList<>();

  /** One more worker process's worth: its own SQS client and receiver, the given handler. */
  private QueueWorker worker(QueueMessageHandler<JsonNode> handler) {
    SqsClient sqs = ElasticMqServer.shared().client();
    clients.add(sqs);
    QueueWorker w = QueueWorker.start(sqs, queues.settings(), handler);
    workers.add(w);
    return w;
  }

  @AfterEach
  void stopWorkers() {
    workers.forEach(QueueWorker::close);
    clients.forEach(SqsClient::close);
    workers.clear();
    clients.clear();
  }

  static String embeddingsFile(int n) {
    StringBuilder f = new StringBuilder();
    for (int i = 0; i < n; i++) {
      f.append(
          BatchLocalTest.line(
              "q" + i, "/v1/embeddings", "{\"input\": \"line " + i + " of the batch\"}"));
    }
    return f.toString();
  }

  static Batch create(OpenAIClient c, String fileId) {
    return BatchLocalTest.create(c, fileId, BatchCreateParams.Endpoint.V1_EMBEDDINGS);
  }

  @Test
  void aWorkerKilledMidChunkLosesAndDuplicatesNothing() throws Exception {
    OpenAIClient c = OpenAiClientTest.client(base);
    // Four workers: the server's own, two more, and one that dies in its first chunk, after 30
    // of its 50 requests (its 41st check of the deadline), without writing or deleting anything.
    worker(queues.handler());
    worker(queues.handler());
    AtomicBoolean killed = new AtomicBoolean();
    AtomicInteger checks = new AtomicInteger();
    TaskHandler<JsonNode> dying =
        new TaskHandler<>() {
          @Override
          public TaskOutput run(JsonNode message) {
            return run(message, Cancellation.NONE);
          }

          @Override
          public TaskOutput run(JsonNode message, Cancellation deadline) {
            if (killed.get() || !"chunk".equals(message.path("step").asText())) {
              throw new IllegalStateException("this worker is dead");
            }
            Cancellation dies =
                () -> {
                  if (checks.incrementAndGet() > 30) {
                    killed.set(true);
                    return "the worker was killed";
                  }
                  return null;
                };
            return batchTask.step(message, deadline.or(dies));
          }
        };
    QueueWorker victim =
        worker(
            new QueueMessageHandler<>(
                new QueueJson(json),
                Map.of("batch", dying),
                queues.handler().sink(),
                QueueMessageHandler.ErrorResults.NONE));

    FileObject f = BatchLocalTest.upload(c, embeddingsFile(10_000));
    Batch b = create(c, f.id());
    long deadline = System.nanoTime() + 300_000_000_000L;
    while (!killed.get() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(killed.get(), "the victim took a chunk and died in it");
    victim.close();
    b = BatchLocalTest.await(c, b.id());
    assertEquals("completed", b.status().asString(), b.toString());
    var counts = b.requestCounts().orElseThrow();
    assertEquals(10_000, counts.total());
    assertEquals(10_000, counts.completed());
    assertEquals(0, counts.failed());
    List<JsonNode> out = BatchLocalTest.lines(c, b.outputFileId().orElseThrow());
    assertEquals(10_000, out.size());
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < out.size(); i++) {
      assertEquals("q" + i, out.get(i).get("custom_id").asText(), "input order, once each");
      assertTrue(ids.add(out.get(i).get("custom_id").asText()));
      assertEquals(384, out.get(i).at("/response/body/data/0/embedding").size());
    }
    assertTrue(b.errorFileId().isEmpty());

    // The output file is no input for a batch.
    String output = b.outputFileId().orElseThrow();
    var purpose =
        org.junit.jupiter.api.Assertions.assertThrows(
            BadRequestException.class, () -> create(c, output));
    assertTrue(purpose.getMessage().contains("purpose 'batch_output'"), purpose.getMessage());
  }

  /**
   * The official OpenAI Node client (npm {@code openai}) uploads, creates, polls and downloads a
   * batch run by two queue workers (the server's own and one more); every line is answered once, in
   * input order, as the same request sent one by one.
   */
  @Test
  void theNodeClientRunsABatchThroughTwoWorkers() throws Exception {
    worker(queues.handler());
    OpenAiNodeClientTest.install();
    String out =
        OpenAiNodeClientTest.run(List.of("node", "batch-client.mjs", base.toString(), "120"), 5);
    JsonNode r = OpenAiNodeClientTest.lastLine(out);
    assertEquals("completed", r.get("status").asText(), out);
    assertEquals(120, r.at("/counts/total").asInt(), out);
    assertEquals(120, r.at("/counts/completed").asInt(), out);
    assertEquals(0, r.at("/counts/failed").asInt(), out);
    assertEquals("openai-node", r.at("/metadata/client").asText(), out);
    assertTrue(r.get("errorFileId").isNull(), out);
    assertEquals(120, r.get("lines").asInt(), out);
    assertEquals(120, r.get("answeredOnce").asInt(), "every custom_id exactly once: " + out);
    assertTrue(r.get("inOrder").asBoolean(), out);
    assertEquals("[200]", r.get("statusCodes").toString(), out);
    assertEquals(384, r.get("dims").asInt(), out);
    assertTrue(r.get("maxDiff").asDouble() <= 1e-6, "as the requests one by one: " + out);
  }

  @Test
  void cancelMidWayEndsCancelledWithCountsThatAddUp() throws Exception {
    OpenAIClient c = OpenAiClientTest.client(base);
    worker(queues.handler());
    FileObject f = BatchLocalTest.upload(c, embeddingsFile(3_000));
    Batch b = create(c, f.id());
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (System.nanoTime() < deadline) {
      b = c.batches().retrieve(b.id());
      if (b.requestCounts().map(r -> r.completed() > 0).orElse(false)) {
        break;
      }
      Thread.sleep(20);
    }
    Batch cancelling = c.batches().cancel(b.id());
    assertTrue(
        List.of("cancelling", "cancelled").contains(cancelling.status().asString()),
        cancelling.toString());
    b = BatchLocalTest.await(c, b.id());
    assertEquals("cancelled", b.status().asString(), b.toString());
    assertTrue(b.cancelledAt().isPresent());
    var counts = b.requestCounts().orElseThrow();
    assertEquals(3_000, counts.total());
    assertTrue(counts.completed() > 0, counts.toString());
    assertTrue(counts.completed() < 3_000, "chunks not started were skipped: " + counts);
    assertEquals(0, counts.failed());
    List<JsonNode> out = BatchLocalTest.lines(c, b.outputFileId().orElseThrow());
    assertEquals(counts.completed(), out.size());
    Set<String> ids = new HashSet<>();
    for (JsonNode o : out) {
      assertTrue(ids.add(o.get("custom_id").asText()), "answered once");
    }
  }
}
