package io.maaskit.model.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.queue.internal.CompositeResultSink;
import io.maaskit.model.queue.internal.SqsResultSink;
import io.maaskit.model.store.S3TestServer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** The results-queue sink and the composite sink against ElasticMQ (and S3Proxy). */
class SqsResultSinkTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static SqsClient sqs;

  @BeforeAll
  static void start() {
    sqs = ElasticMqServer.shared().client();
  }

  @AfterAll
  static void stop() {
    sqs.close();
  }

  @Test
  void sendsTheResultJsonAndRemembersWhatItSent() throws Exception {
    String url = ElasticMqServer.createQueue(sqs, "results", Map.of());
    SqsResultSink sink = new SqsResultSink(sqs, url);
    assertFalse(sink.has("m-1"));
    sink.write("m-1", S3ResultSinkTest.result("m-1"));
    assertTrue(sink.has("m-1"));
    List<Message> got = ElasticMqServer.drain(sqs, url, 30);
    assertEquals(1, got.size());
    JsonNode r = JSON.readTree(got.get(0).body());
    assertEquals("m-1", r.get("message_id").asText());
    assertEquals("corr-1", r.get("id").asText());
    assertEquals(0.5, r.get("embeddings").get(0).get(0).asDouble());
  }

  @Test
  void fifoQueueDropsARepeatFromAnotherProcess() throws Exception {
    String url =
        ElasticMqServer.createQueue(
            sqs, "results-fifo", Map.of(QueueAttributeName.FIFO_QUEUE, "true"));
    assertTrue(url.endsWith(".fifo"), url);
    // Two sinks = two processes: neither remembers the other's sends, SQS deduplicates by message
    // id.
    new SqsResultSink(sqs, url).write("m-2", S3ResultSinkTest.result("m-2"));
    new SqsResultSink(sqs, url).write("m-2", S3ResultSinkTest.result("m-2"));
    new SqsResultSink(sqs, url).write("m-3", S3ResultSinkTest.result("m-3"));
    List<Message> got = ElasticMqServer.drain(sqs, url, 30);
    assertEquals(2, got.size(), "one result per message id");
  }

  @Test
  void oversizedResultIsRefusedWithAFix() {
    String url = ElasticMqServer.createQueue(sqs, "results", Map.of());
    SqsResultSink sink = new SqsResultSink(sqs, url);
    byte[] big = new byte[450_000]; // ~100 embeddings as JSON
    java.util.Arrays.fill(big, (byte) '1');
    PayloadTooLargeException e =
        assertThrows(PayloadTooLargeException.class, () -> sink.write("m-4", big));
    assertTrue(
        e.getMessage().contains("more than the results queue takes (262144)"), e.getMessage());
    assertTrue(e.getMessage().contains("MAAS_RESULTS_URI"), e.getMessage());
    assertFalse(sink.has("m-4"));
    assertEquals(0, ElasticMqServer.depth(sqs, url));
  }

  @Test
  void compositeRetriesOnlyTheSinkThatFailed() throws Exception {
    try (S3TestServer s3server = S3TestServer.inMemory();
        S3Client s3 = s3server.client(s3server.settings(8 << 20, 4, 1))) {
      s3server.createBucket("both");
      // The results queue does not exist yet: the first write stores the S3 object, then fails.
      String existing = ElasticMqServer.createQueue(sqs, "probe", Map.of());
      String name = "late-" + System.nanoTime();
      String url = existing.substring(0, existing.lastIndexOf('/') + 1) + name;
      QueueSettings settings = QueueSettings.of(null, "s3://both/r", url);
      ResultSink sink = ResultSink.of(settings, s3, sqs);
      assertInstanceOf(CompositeResultSink.class, sink);
      IOException e =
          assertThrows(IOException.class, () -> sink.write("m-5", S3ResultSinkTest.result("m-5")));
      assertTrue(e.getMessage().contains(url), e.getMessage());
      assertTrue(s3server.exists("both", "r/m-5.json"));
      assertFalse(sink.has("m-5"), "not done until every sink has it");

      sqs.createQueue(b -> b.queueName(name));
      sink.write("m-5", S3ResultSinkTest.result("m-5"));
      assertTrue(sink.has("m-5"));
      assertEquals(
          1,
          s3server.blobs().writes().stream().filter("r/m-5.json"::equals).count(),
          "S3 not rewritten");
      assertEquals(1, ElasticMqServer.drain(sqs, url, 30).size());
    }
  }
}
