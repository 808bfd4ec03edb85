package io.maaskit.functions.queue;

import io.maaskit.it.TestModels;
import io.maaskit.model.store.S3TestServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.util.Map;

/** S3Proxy in-process as the results sink, and a local store with the real MiniLM package. */
public class QueueStackResource implements QuarkusTestResourceLifecycleManager {
  static S3TestServer s3;

  @Override
  public Map<String, String> start() {
    try {
      s3 = S3TestServer.inMemory();
      s3.createBucket("results");
      // The SDK's default credentials chain reads these system properties.
      System.setProperty("aws.accessKeyId", S3TestServer.ACCESS_KEY);
      System.setProperty("aws.secretAccessKey", S3TestServer.SECRET_KEY);
      System.setProperty("aws.region", "us-east-1");
      return Map.of(
          "maas.model-store", storeWithGenerator(),
          "maas.default-model", "all-minilm-l6-v2",
          "maas.cache-dir", Path.of("target", "cache").toAbsolutePath().toString(),
          "maas.results.uri", "s3://results/out",
          "maas.s3.endpoint", s3.endpoint().toString());
    } catch (Exception e) {
      throw new IllegalStateException("could not start the queue test stack", e);
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

  /**
   * The test store, with the tiny random Llama generator, cross-encoder, token classifier and
   * question answerer imported into it.
   */
  static String storeWithGenerator() throws java.io.IOException {
    TestModels.tinyLlama();
    TestModels.tinyCrossEncoder();
    TestModels.tinyTokenClassifier();
    TestModels.tinyQuestionAnswerer();
    return TestModels.storeRoot().toString();
  }
}
