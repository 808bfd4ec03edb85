package io.maaskit.functions.http.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.protocol.JsonFields;
import io.maaskit.functions.protocol.QueueJson;
import io.maaskit.it.TestModels;
import io.maaskit.model.queue.*;
import io.maaskit.model.queue.QueueMessageHandler.Outcome;
import io.maaskit.model.store.S3TestServer;
import io.maaskit.model.task.EmbedRequest;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.task.GenerationOptions;
import io.maaskit.model.task.GenerationService;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * The worker end to end over the real protocols: ElasticMQ (SQS, with a redrive policy to a
 * dead-letter queue) in, S3Proxy out, the real all-MiniLM-L6-v2 in between.
 */
class QueueWorkerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final AtomicInteger buckets = new AtomicInteger();
  static S3TestServer s3server;
  static S3Client s3;
  static SqsClient sqs;
  static EmbeddingService embeddings;

  String bucket;

  @BeforeAll
  static void servers() throws Exception {
    s3server = S3TestServer.inMemory();
    s3 = s3server.client(s3server.settings(8 << 20, 4, 3));
    sqs = ElasticMqServer.shared().client();
    embeddings = QueueFixtures.embeddings();
    embeddings.embed(EmbedRequest.of(List.of("warm up")));
  }

  @AfterAll
  static void stop() throws Exception {
    sqs.close();
    s3.close();
    s3server.close();
  }

  @BeforeEach
  void bucket() {
    bucket = "results-" + buckets.incrementAndGet();
    s3server.createBucket(bucket);
  }

  @Test
  void hundredMessagesFiveMalformedGive95ResultsAnd5DeadLetters() throws Exception {
    String[] q = ElasticMqServer.createWithDlq(sqs, 2, 2);
    List<String> malformed =
        List.of(
            "{\"id\": \"bad-json\", \"task\": \"embed\", \"inputs\": [\"a\",]}",
            "{\"id\": \"bad-task\", \"task\": \"translate\", \"inputs\": \"a\"}",
            "{\"id\": \"no-inputs\", \"task\": \"embed\"}",
            "{\"id\": \"empty-inputs\", \"task\": \"embed\", \"inputs\": []}",
            "{\"id\": \"number-item\", \"task\": \"embed\", \"inputs\": [\"a\", 7]}");
    Map<String, String> bodies = new HashMap<>(); // correlation id -> body
    Map<String, Integer> inputCounts = new HashMap<>();
    for (int i = 0; i < 95; i++) {
      String id = "req-" + i;
      if (i % 3 == 0) {
        bodies.put(
            id,
            "{\"id\": \""
                + id
                + "\", \"task\": \"embed\", \"inputs\": [\"first text "
                + i
                + "\", \"second text about item "
                + i
                + "\"]}");
        inputCounts.put(id, 2);
      } else {
        bodies.put(
            id,
            "{\"id\": \""
                + id
                + "\", \"task\": \"embed\", \"inputs\": \"a short sentence number "
                + i
                + "\""
                + (i % 5 == 0 ? ", \"normalize\": false" : "")
                + "}");
        inputCounts.put(id, 1);
      }
    }
    List<String> all = new ArrayList<>(bodies.values());
    all.addAll(malformed);
    Collections.shuffle(all, new Random(7));
    assertEquals(100, all.size());

    Map<String, String> messageIdToBody = send(q[0], all);
    assertEquals(100, messageIdToBody.size());

    String results = "s3://" + bucket + "/run";
    QueueSettings settings =
        QueueSettings.of(q[0], results, null).withConcurrency(2).withWaitTimeSeconds(1);
    QueueMessageHandler<JsonNode> handler =
        QueueFixtures.standard(
            embeddings, QueueFixtures.classifier(), ResultSink.of(settings, s3, sqs));
    QueueWorker.Stats stats;
    try (QueueWorker worker = QueueWorker.start(sqs, settings, handler)) {
      await(
          () -> ElasticMqServer.depth(sqs, q[0]) == 0 && ElasticMqServer.depth(sqs, q[1]) == 5,
          45_000,
          () ->
              "main "
                  + ElasticMqServer.depth(sqs, q[0])
                  + ", dlq "
                  + ElasticMqServer.depth(sqs, q[1])
                  + ", "
                  + worker.stats());
      stats = worker.stats();
    }

    // 95 result objects, one per valid message, named by its SQS message id, each written once.
    List<S3Object> objects =
        s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix("run/")).contents().stream()
            .toList();
    assertEquals(95, objects.size());
    Set<String> validMessageIds =
        messageIdToBody.entrySet().stream()
            .filter(e -> !malformed.contains(e.getValue()))
            .map(Map.Entry::getKey)
            .collect(Collectors.toSet());
    assertEquals(
        validMessageIds.stream().map(m -> "run/" + m + ".json").collect(Collectors.toSet()),
        objects.stream().map(S3Object::key).collect(Collectors.toSet()));
    assertEquals(
        95,
        s3server.blobs().writes().stream().filter(k -> k.startsWith("run/")).count(),
        "no result rewritten");
    assertEquals(95, stats.written());

    Set<String> seen = new HashSet<>();
    for (String messageId : validMessageIds) {
      JsonNode r =
          JSON.readTree(
              s3.getObjectAsBytes(b -> b.bucket(bucket).key("run/" + messageId + ".json"))
                  .asByteArray());
      String id = r.get("id").asText();
      assertEquals(
          bodies.get(id),
          messageIdToBody.get(messageId),
          "result " + messageId + " answers its own message");
      assertEquals(messageId, r.get("message_id").asText());
      assertEquals("ok", r.get("status").asText());
      assertEquals(QueueFixtures.MODEL, r.get("model").asText());
      assertEquals(inputCounts.get(id), r.get("embeddings").size());
      assertEquals(384, r.get("embeddings").get(0).size());
      assertTrue(seen.add(id));
    }
    assertEquals(bodies.keySet(), seen);

    // A result equals what the HTTP path computes for the same body.
    String some = validMessageIds.iterator().next();
    JsonNode r =
        JSON.readTree(
            s3.getObjectAsBytes(b -> b.bucket(bucket).key("run/" + some + ".json")).asByteArray());
    JsonNode sent = JSON.readTree(messageIdToBody.get(some));
    float[][] direct =
        embeddings
            .embed(
                new EmbedRequest(
                    null,
                    JsonFields.texts(sent, "inputs", 256),
                    JsonFields.bool(sent, "normalize", true),
                    null))
            .vectors();
    assertArrayEquals(
        direct[0], JSON.treeToValue(r.get("embeddings").get(0), float[].class), 1e-6f);

    // The 5 malformed messages are in the dead-letter queue, unchanged, and nothing was lost.
    List<Message> dead = ElasticMqServer.drain(sqs, q[1], 30);
    assertEquals(
        Set.copyOf(malformed), dead.stream().map(Message::body).collect(Collectors.toSet()));
    for (Message m : dead) {
      assertEquals(
          m.body(), messageIdToBody.get(m.messageId()), "dead letter keeps its message id");
      assertFalse(s3server.exists(bucket, "run/" + m.messageId() + ".json"));
    }
    assertEquals(100, objects.size() + dead.size());
    assertEquals(0, ElasticMqServer.depth(sqs, q[0]));
    System.out.printf(
        "queue worker: %s, %d results, %d dead letters%n", stats, objects.size(), dead.size());
  }

  @Test
  void forcedRedeliveryAddsNoSecondResult() throws Exception {
    String[] q = ElasticMqServer.createWithDlq(sqs, 5, 1);
    String body =
        "{\"id\": \"once\", \"task\": \"embed\", \"inputs\": [\"delivered twice\", \"answered once\"]}";
    String sent = sqs.sendMessage(b -> b.queueUrl(q[0]).messageBody(body)).messageId();
    QueueSettings settings =
        QueueSettings.of(q[0], "s3://" + bucket + "/again", null)
            .withConcurrency(1)
            .withWaitTimeSeconds(1);
    QueueMessageHandler<JsonNode> handler =
        QueueFixtures.standard(
            embeddings, QueueFixtures.classifier(), ResultSink.of(settings, s3, sqs));

    // First delivery: processed and written, but never deleted (as if the worker died right after
    // the write).
    List<Message> got =
        sqs.receiveMessage(b -> b.queueUrl(q[0]).maxNumberOfMessages(1).waitTimeSeconds(1))
            .messages();
    assertEquals(1, got.size());
    assertEquals(sent, got.get(0).messageId());
    assertEquals(
        Outcome.Kind.WRITTEN, handler.handle(got.get(0).messageId(), got.get(0).body()).kind());
    String key = "again/" + sent + ".json";
    byte[] first = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();

    // After the 1 s visibility timeout the worker receives it again: recognised, deleted, not
    // rewritten.
    QueueWorker.Stats stats;
    try (QueueWorker worker = QueueWorker.start(sqs, settings, handler)) {
      await(
          () -> worker.stats().duplicates() == 1 && ElasticMqServer.depth(sqs, q[0]) == 0,
          20_000,
          () -> worker.stats() + ", main " + ElasticMqServer.depth(sqs, q[0]));
      stats = worker.stats();
    }
    assertEquals(new QueueWorker.Stats(0, 1, 0), stats);
    assertArrayEquals(first, s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray());
    assertEquals(1, s3server.blobs().writes().stream().filter(key::equals).count());
    assertEquals(1, s3.listObjectsV2(b -> b.bucket(bucket).prefix("again/")).keyCount());
    assertEquals(0, ElasticMqServer.depth(sqs, q[1]), "a duplicate is deleted, not dead-lettered");
  }

  /** A handler with the {@code generate} task over the tiny Llama, errors of 4xx written. */
  static QueueMessageHandler<JsonNode> generating(
      QueueSettings settings, GenerationService generation) {
    return QueueFixtures.handler(
        Map.of("generate", QueueJson.generate(generation)),
        ResultSink.of(settings, s3, sqs),
        e -> e instanceof io.maaskit.model.error.InvalidRequestException ? e.getMessage() : null);
  }

  static GenerationService generator() throws Exception {
    TestModels.tinyLlama();
    return new GenerationService(
        QueueFixtures.registry(), TestModels.TINY_LLAMA, GenerationOptions.defaults());
  }

  /**
   * A {@code generate} message that can never succeed (a negative {@code max_tokens}) gets an error
   * result and is deleted: received once, never redelivered, never dead-lettered.
   */
  @Test
  void aBadGenerateMessageGetsAnErrorResultAndIsNotRedelivered() throws Exception {
    String[] q = ElasticMqServer.createWithDlq(sqs, 2, 1);
    String body =
        "{\"id\": \"bad\", \"task\": \"generate\", \"prompt\": \"Hi\", \"max_tokens\": -1}";
    String sent = sqs.sendMessage(b -> b.queueUrl(q[0]).messageBody(body)).messageId();
    QueueSettings settings =
        QueueSettings.of(q[0], "s3://" + bucket + "/gen", null)
            .withConcurrency(1)
            .withWaitTimeSeconds(1);
    QueueWorker.Stats stats;
    try (GenerationService generation = generator();
        QueueWorker worker = QueueWorker.start(sqs, settings, generating(settings, generation))) {
      await(
          () -> worker.stats().written() == 1 && ElasticMqServer.depth(sqs, q[0]) == 0,
          20_000,
          () -> worker.stats() + ", main " + ElasticMqServer.depth(sqs, q[0]));
      stats = worker.stats();
    }
    assertEquals(new QueueWorker.Stats(1, 0, 0), stats, "handled once, never failed");
    JsonNode r =
        JSON.readTree(
            s3.getObjectAsBytes(b -> b.bucket(bucket).key("gen/" + sent + ".json")).asByteArray());
    assertEquals("error", r.get("status").asText(), r.toString());
    assertEquals("bad", r.get("id").asText());
    assertTrue(r.get("error").asText().contains("max_tokens"), r.toString());
    assertEquals(0, ElasticMqServer.depth(sqs, q[0]), "deleted");
    assertEquals(0, ElasticMqServer.depth(sqs, q[1]), "not dead-lettered");
  }

  /**
   * A {@code generate} message whose deadline (the worker's 1 s visibility timeout less the margin
   * kept to write and delete) passes is left for redelivery without a result: after its second
   * receive it is in the dead-letter queue, and S3 has nothing for it.
   */
  @Test
  void aGenerateMessageWhoseDeadlinePassesIsRedeliveredWithoutAResult() throws Exception {
    String[] q = ElasticMqServer.createWithDlq(sqs, 2, 1);
    String body =
        "{\"id\": \"late\", \"task\": \"generate\", \"prompt\": \"Once upon a time\","
            + " \"max_tokens\": 64}";
    String sent = sqs.sendMessage(b -> b.queueUrl(q[0]).messageBody(body)).messageId();
    QueueSettings settings =
        QueueSettings.of(q[0], "s3://" + bucket + "/late", null)
            .withConcurrency(1)
            .withWaitTimeSeconds(1)
            .withVisibilityTimeoutSeconds(1);
    QueueWorker.Stats stats;
    try (GenerationService generation = generator();
        QueueWorker worker = QueueWorker.start(sqs, settings, generating(settings, generation))) {
      await(
          () -> ElasticMqServer.depth(sqs, q[1]) == 1,
          30_000,
          () -> worker.stats() + ", dlq " + ElasticMqServer.depth(sqs, q[1]));
      stats = worker.stats();
    }
    assertEquals(0, stats.written(), stats.toString());
    assertTrue(stats.failed() >= 2, "received and left twice: " + stats);
    assertFalse(s3server.exists(bucket, "late/" + sent + ".json"), "no partial result");
    assertEquals(sent, ElasticMqServer.drain(sqs, q[1], 5).get(0).messageId());
  }

  /** Sends bodies in batches of 10; returns SQS message id -> body. */
  static Map<String, String> send(String queueUrl, List<String> bodies) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < bodies.size(); i += 10) {
      List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
      for (int j = i; j < Math.min(bodies.size(), i + 10); j++) {
        entries.add(
            SendMessageBatchRequestEntry.builder().id("e" + j).messageBody(bodies.get(j)).build());
      }
      SendMessageBatchResponse r = sqs.sendMessageBatch(b -> b.queueUrl(queueUrl).entries(entries));
      assertTrue(r.failed().isEmpty(), r.failed().toString());
      r.successful()
          .forEach(s -> out.put(s.messageId(), bodies.get(Integer.parseInt(s.id().substring(1)))));
    }
    return out;
  }

  static void await(BooleanSupplier done, long millis, java.util.function.Supplier<String> state)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out: " + state.get());
      }
      Thread.sleep(100);
    }
  }
}
