package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.files.FileObject;
import io.maaskit.functions.ModelServices;
import io.maaskit.functions.batch.BatchFiles;
import io.maaskit.functions.batch.BatchObject;
import io.maaskit.functions.batch.BatchServices;
import io.maaskit.functions.batch.BatchTaskProvider;
import io.maaskit.functions.batch.Batches;
import io.maaskit.functions.batch.S3BatchStore;
import io.maaskit.functions.batch.SqsDispatch;
import io.maaskit.functions.protocol.QueueJson;
import io.maaskit.it.TestModels;
import io.maaskit.model.error.RequestCancelledException;
import io.maaskit.model.queue.ElasticMqServer;
import io.maaskit.model.queue.QueueMessageHandler;
import io.maaskit.model.queue.QueueSettings;
import io.maaskit.model.queue.QueueWorker;
import io.maaskit.model.queue.ResultSink;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.queue.TaskOutput;
import io.maaskit.model.store.S3Stores;
import io.maaskit.model.store.S3TestServer;
import io.maaskit.model.task.Cancellation;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URL;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A batch's state lives in S3 and SQS, not in a process. The server here sends a batch's steps to a
 * queue (ElasticMQ) that nothing in it consumes; the workers are "processes" the test builds from
 * the configuration alone: their own S3 and SQS clients, store, {@link Batches} and queue
 * receivers. Killing every one of them mid-batch and starting new ones finishes the batch with
 * every line once; a batch whose completion window (shortened by configuration to 15 s) passes
 * mid-way ends {@code expired} with the lines answered before.
 */
@QuarkusTest
@QuarkusTestResource(value = BatchRestartTest.Servers.class, restrictToAnnotatedClass = true)
class BatchRestartTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String STORE = "s3://batches/store";
  static final int CHUNK = 10;
  static S3TestServer s3;
  static String stepsQueue;

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
          // A killed worker's message comes back after 3 s.
          stepsQueue =
              ElasticMqServer.createQueue(
                  sqs, "batch-steps", Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "3"));
        }
        // No maas.queue.url: the server starts no queue worker of its own.
        return Map.ofEntries(
            Map.entry("maas.model-store", TestModels.storeRoot().toString()),
            Map.entry("maas.default-model", "all-minilm-l6-v2"),
            Map.entry("maas.cache-dir", Path.of("target", "cache").toAbsolutePath().toString()),
            Map.entry("maas.sqs.endpoint", ElasticMqServer.shared().endpoint().toString()),
            Map.entry("maas.s3.endpoint", s3.endpoint().toString()),
            Map.entry("maas.batch.store", STORE),
            Map.entry("maas.batch.queue-url", stepsQueue),
            Map.entry("maas.batch.chunk-lines", Integer.toString(CHUNK)),
            Map.entry("maas.batch.completion-window", "15s"));
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

  @Inject ModelServices models;
  @Inject BatchServices services;
  @Inject BatchTaskProvider task;

  @TestHTTPResource("/v1")
  URL base;

  /**
   * One worker process, built as a restarted one would be: from the configuration, with clients of
   * its own. While {@code dead} is true it stops every chunk at its next request and runs nothing.
   */
  final class Worker implements AutoCloseable {
    final S3Client s3Client = S3Stores.client(models.s3Settings());
    final SqsClient sqs = ElasticMqServer.shared().client();
    final Batches batches;
    final QueueWorker receiver;

    Worker(Duration window, AtomicBoolean dead, AtomicInteger requests, int requestsToDeath) {
      S3BatchStore store = new S3BatchStore(s3Client, STORE);
      batches =
          new Batches(
              store,
              new BatchFiles(store, JSON, Clock.systemUTC(), 1 << 20, 1000),
              services.endpoints(),
              JSON,
              Clock.systemUTC(),
              CHUNK,
              window,
              models.admission());
      batches.dispatchTo(new SqsDispatch(sqs, stepsQueue, JSON));
      Cancellation dies =
          () -> {
            if (dead.get() || requests.incrementAndGet() > requestsToDeath) {
              dead.set(true);
              return "the worker process was killed";
            }
            return null;
          };
      TaskHandler<JsonNode> steps =
          new TaskHandler<>() {
            @Override
            public TaskOutput run(JsonNode message) {
              return run(message, Cancellation.NONE);
            }

            @Override
            public TaskOutput run(JsonNode message, Cancellation deadline) {
              if (dead.get()) {
                throw new RequestCancelledException("this worker is dead");
              }
              return BatchTaskProvider.step(batches, message, deadline.or(dies));
            }
          };
      QueueSettings settings =
          new QueueSettings(stepsQueue, "s3://batches/steps", null, 1, 1, 0, 1);
      receiver =
          QueueWorker.start(
              sqs,
              settings,
              new QueueMessageHandler<>(
                  new QueueJson(JSON),
                  Map.of("batch", steps),
                  ResultSink.of(settings, s3Client, null),
                  QueueMessageHandler.ErrorResults.NONE));
    }

    @Override
    public void close() {
      receiver.close();
      sqs.close();
      s3Client.close();
    }
  }

  static String file(int lines) {
    return BatchQueueTest.embeddingsFile(lines);
  }

  static void assertAnsweredOnceInOrder(List<JsonNode> out, int n) {
    assertEquals(n, out.size());
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < n; i++) {
      assertEquals("q" + i, out.get(i).get("custom_id").asText(), "input order, once each");
      assertTrue(ids.add(out.get(i).get("custom_id").asText()));
      assertEquals(200, out.get(i).at("/response/status_code").asInt());
      assertEquals(384, out.get(i).at("/response/body/data/0/embedding").size());
    }
  }

  @Test
  void everyProcessRestartedMidBatchLosesAndDuplicatesNothing() throws Exception {
    OpenAIClient c = OpenAiClientTest.client(base);
    FileObject f = BatchLocalTest.upload(c, file(300));
    AtomicBoolean dead = new AtomicBoolean();
    AtomicInteger requests = new AtomicInteger();
    List<Worker> first = new ArrayList<>();
    // The first generation: two worker processes that all die after 95 requests between them,
    // in the middle of a chunk, without writing or deleting anything after that.
    for (int i = 0; i < 2; i++) {
      first.add(new Worker(Duration.ofHours(24), dead, requests, 95));
    }
    BatchObject created =
        first
            .get(0)
            .batches
            .create(
                JSON.readTree(
                    "{\"input_file_id\": \""
                        + f.id()
                        + "\", \"endpoint\": \"/v1/embeddings\", \"completion_window\": \"24h\"}"));
    long deadline = System.nanoTime() + 300_000_000_000L;
    while (!dead.get() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(dead.get(), "the first workers ran until they were killed");
    for (Worker w : first) {
      w.close();
    }
    Batch mid = c.batches().retrieve(created.id);
    assertEquals("in_progress", mid.status().asString(), mid.toString());
    long doneBefore = mid.requestCounts().orElseThrow().completed();
    assertTrue(doneBefore < 300, "the batch was stopped half-way: " + mid);

    // Every process starts again, from nothing but the configuration and what S3 and SQS hold.
    AtomicBoolean alive = new AtomicBoolean();
    List<Worker> second = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      second.add(new Worker(Duration.ofHours(24), alive, new AtomicInteger(), Integer.MAX_VALUE));
    }
    try {
      Batch b = BatchLocalTest.await(c, created.id);
      assertEquals("completed", b.status().asString(), b.toString());
      var counts = b.requestCounts().orElseThrow();
      assertEquals(300, counts.total());
      assertEquals(300, counts.completed());
      assertEquals(0, counts.failed());
      assertAnsweredOnceInOrder(BatchLocalTest.lines(c, b.outputFileId().orElseThrow()), 300);
      assertTrue(b.errorFileId().isEmpty());
    } finally {
      for (Worker w : second) {
        w.close();
      }
    }
  }

  @Test
  void aBatchPastItsCompletionWindowEndsExpiredWithWhatWasAnswered() throws Exception {
    OpenAIClient c = OpenAiClientTest.client(base);
    // Load the model first, so that the chunks run below finish well inside the window.
    c.embeddings()
        .create(
            EmbeddingCreateParams.builder()
                .model(BatchLocalTest.EMBEDDER)
                .input("warm up")
                .build());
    FileObject f = BatchLocalTest.upload(c, file(50));
    Batch b = BatchLocalTest.create(c, f.id(), BatchCreateParams.Endpoint.V1_EMBEDDINGS);
    assertEquals(15, b.expiresAt().orElseThrow() - b.createdAt(), "the configured window");

    // The server's own steps, run by hand: the validation and two of the five chunks.
    try (SqsClient sqs = ElasticMqServer.shared().client()) {
      int chunks = 0;
      while (chunks < 2) {
        for (Message m :
            sqs.receiveMessage(
                    r -> r.queueUrl(stepsQueue).maxNumberOfMessages(1).waitTimeSeconds(1))
                .messages()) {
          JsonNode step = JSON.readTree(m.body());
          if (step.get("batch_id").asText().equals(b.id())) {
            task.step(step, Cancellation.NONE);
          } // else a redelivered step of the other test's batch, finished already

          sqs.deleteMessage(d -> d.queueUrl(stepsQueue).receiptHandle(m.receiptHandle()));
          chunks +=
              step.get("batch_id").asText().equals(b.id())
                      && step.get("step").asText().equals("chunk")
                  ? 1
                  : 0;
        }
      }
    }
    Batch mid = c.batches().retrieve(b.id());
    assertEquals("in_progress", mid.status().asString(), "ran inside the window: " + mid);
    assertEquals(2 * CHUNK, mid.requestCounts().orElseThrow().completed());

    // Past the window, a worker takes the other three chunks: none of them runs.
    while (System.currentTimeMillis() / 1000 <= b.expiresAt().orElseThrow()) {
      Thread.sleep(200);
    }
    try (Worker w =
        new Worker(Duration.ofHours(24), new AtomicBoolean(), new AtomicInteger(), 1_000)) {
      b = BatchLocalTest.await(c, b.id());
    }
    assertEquals("expired", b.status().asString(), b.toString());
    assertTrue(b.expiredAt().isPresent());
    var counts = b.requestCounts().orElseThrow();
    assertEquals(50, counts.total());
    assertEquals(2 * CHUNK, counts.completed(), "the lines answered before the window ended");
    assertEquals(0, counts.failed());
    // SQS hands the chunks out in no set order: the answered lines are two whole chunks, each line
    // once, in input order.
    List<JsonNode> out = BatchLocalTest.lines(c, b.outputFileId().orElseThrow());
    assertEquals(2 * CHUNK, out.size());
    int last = -1;
    Map<Integer, Integer> perChunk = new TreeMap<>();
    for (JsonNode line : out) {
      int i = Integer.parseInt(line.get("custom_id").asText().substring(1));
      assertTrue(i > last, "input order, once each: " + line.get("custom_id"));
      last = i;
      perChunk.merge(i / CHUNK, 1, Integer::sum);
      assertEquals(200, line.at("/response/status_code").asInt());
    }
    assertEquals(
        List.of(CHUNK, CHUNK), List.copyOf(perChunk.values()), "whole chunks: " + perChunk);
    assertTrue(b.errorFileId().isEmpty());
  }
}
