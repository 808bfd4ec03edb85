package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.QueueServices;
import io.maaskit.it.TestModels;
import io.maaskit.model.queue.ElasticMqServer;
import io.maaskit.model.queue.QueueSettings;
import io.maaskit.model.store.S3TestServer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * {@code MAAS_QUEUE_URL} starts the queue worker in the long-running server, polling with {@code
 * MAAS_QUEUE_WAIT_SECONDS}, {@code MAAS_QUEUE_VISIBILITY_SECONDS} and {@code
 * MAAS_QUEUE_MAX_MESSAGES}; {@code MAAS_SQS_ENDPOINT}, {@code MAAS_S3_ENDPOINT} and {@code
 * MAAS_RESULTS_URI} point it at in-process ElasticMQ and S3Proxy servers.
 */
@QuarkusTest
@QuarkusTestResource(value = QueueWorkerConfigTest.Servers.class, restrictToAnnotatedClass = true)
class QueueWorkerConfigTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static S3TestServer s3;
  static String queueUrl;

  public static class Servers implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
      try {
        s3 = S3TestServer.inMemory();
        s3.createBucket("results");
        System.setProperty("aws.accessKeyId", S3TestServer.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3TestServer.SECRET_KEY);
        System.setProperty("aws.region", "us-east-1");
        try (SqsClient sqs = ElasticMqServer.shared().client()) {
          queueUrl = ElasticMqServer.createQueue(sqs, "worker", Map.of());
        }
        return Map.of(
            "maas.model-store",
            TestModels.storeRoot().toString(),
            "maas.default-model",
            "all-minilm-l6-v2",
            "maas.cache-dir",
            Path.of("target", "cache").toAbsolutePath().toString(),
            "maas.queue.url",
            queueUrl,
            "maas.queue.wait-seconds",
            "1",
            "maas.queue.visibility-seconds",
            "45",
            "maas.queue.max-messages",
            "3",
            "maas.sqs.endpoint",
            ElasticMqServer.shared().endpoint().toString(),
            "maas.s3.endpoint",
            s3.endpoint().toString(),
            "maas.results.uri",
            "s3://results/worker");
      } catch (Exception e) {
        throw new IllegalStateException("could not start the queue test servers", e);
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

  @Test
  void theWorkerPollsTheConfiguredQueueAndWritesResultsWhereConfigured() throws Exception {
    QueueSettings s = queues.settings();
    assertEquals(queueUrl, s.queueUrl());
    assertEquals(1, s.waitTimeSeconds());
    assertEquals(45, s.visibilityTimeoutSeconds());
    assertEquals(3, s.maxMessages());

    String id;
    try (SqsClient sqs = ElasticMqServer.shared().client()) {
      id =
          sqs.sendMessage(
                  b ->
                      b.queueUrl(queueUrl)
                          .messageBody(
                              "{\"id\": \"w-1\", \"task\": \"embed\", \"inputs\": [\"a\", \"b\"]}"))
              .messageId();
    }
    String key = "worker/" + id + ".json";
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!s3.exists("results", key) && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    JsonNode result = JSON.readTree(s3.getRaw("results", key));
    assertEquals("w-1", result.get("id").asText());
    assertEquals("ok", result.get("status").asText());
    assertEquals(2, result.get("embeddings").size());
  }
}
