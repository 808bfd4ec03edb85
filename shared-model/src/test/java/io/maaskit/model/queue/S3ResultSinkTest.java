package io.maaskit.model.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.queue.internal.S3ResultSink;
import io.maaskit.model.store.S3TestServer;
import io.maaskit.model.store.internal.S3Location;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The S3 sink against S3Proxy: one object per message id, HEAD as the idempotency check, errors
 * named.
 */
class S3ResultSinkTest {
  static S3TestServer server;
  static S3Client s3;

  @BeforeAll
  static void start() throws Exception {
    server = S3TestServer.inMemory();
    server.createBucket("sink");
    // Real clients retry: S3Proxy closes the connection after some auth errors, and a pooled
    // connection can then fail once with a broken pipe.
    s3 = server.client(server.settings(8 << 20, 4, 3));
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
    server.close();
  }

  /** A result's bytes as the adapter's format writes them (the sinks store them as given). */
  static byte[] result(String messageId) {
    return ("{\"id\":\"corr-1\",\"message_id\":\""
            + messageId
            + "\",\"task\":\"embed\",\"model\":\"all-minilm-l6-v2\","
            + "\"status\":\"ok\",\"duration_ms\":7,\"embeddings\":[[0.5,-0.25]]}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void writesOneJsonObjectPerMessageUnderThePrefix() throws Exception {
    S3ResultSink sink = new S3ResultSink(s3, S3Location.parse("s3://sink/results/2024"));
    assertEquals("results/2024/abc-1.json", sink.key("abc-1"));
    assertEquals("s3://sink/results/2024/abc-1.json", sink.uri("abc-1"));
    assertFalse(sink.has("abc-1"));
    sink.write("abc-1", result("abc-1"));
    assertTrue(sink.has("abc-1"));
    assertFalse(sink.has("abc-2"));
    ResponseBytes<GetObjectResponse> got =
        s3.getObjectAsBytes(b -> b.bucket("sink").key("results/2024/abc-1.json"));
    assertEquals("application/json", got.response().contentType());
    assertEquals(
        "{\"id\":\"corr-1\",\"message_id\":\"abc-1\",\"task\":\"embed\",\"model\":\"all-minilm-l6-v2\","
            + "\"status\":\"ok\",\"duration_ms\":7,\"embeddings\":[[0.5,-0.25]]}",
        got.asUtf8String());
    JsonNode n = new ObjectMapper().readTree(got.asByteArray());
    assertEquals(-0.25, n.get("embeddings").get(0).get(1).asDouble());
  }

  @Test
  void bucketRootPrefixAndUnsafeIdsRefused() {
    S3ResultSink sink = new S3ResultSink(s3, S3Location.parse("s3://sink"));
    assertEquals("m.json", sink.key("m"));
    for (String bad : List.of("../escape", "a/b", "", " ")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> sink.key(bad));
      assertTrue(e.getMessage().contains("cannot name a result object"), e.getMessage());
    }
  }

  @Test
  void missingBucketAndBadCredentialsAreIoErrorsNamingTheObject() {
    S3ResultSink noBucket = new S3ResultSink(s3, S3Location.parse("s3://no-such-bucket/r"));
    IOException e = assertThrows(IOException.class, () -> noBucket.write("x", result("x")));
    assertTrue(
        e.getMessage().startsWith("writing result s3://no-such-bucket/r/x.json failed"),
        e.getMessage());
    try (S3Client wrong = server.client(server.settings(8 << 20, 4, 1), "someone", "else")) {
      S3ResultSink denied = new S3ResultSink(wrong, S3Location.parse("s3://sink/results"));
      IOException d = assertThrows(IOException.class, () -> denied.has("x"));
      assertTrue(
          d.getMessage()
              .startsWith(
                  "access denied checking for result s3://sink/results/x.json: the role needs s3:GetObject"),
          d.getMessage());
    }
  }
}
