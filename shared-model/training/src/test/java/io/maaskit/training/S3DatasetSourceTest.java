package io.maaskit.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.store.S3TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/** Datasets read from S3 through an injected client, against S3Proxy speaking the real protocol. */
class S3DatasetSourceTest {
  @Test
  void readsJsonlFromS3AndNamesMissingObjects() throws Exception {
    try (S3TestServer server = S3TestServer.inMemory();
        S3Client s3 = server.client(server.settings(8 << 20, 1, 1))) {
      server.createBucket("datasets");
      server.putRaw(
          "datasets",
          "spam/train.jsonl",
          "{\"text\": \"win a prize\", \"label\": \"spam\"}\n{\"text\": \"see you at 5\", \"label\": \"ham\"}\n"
              .getBytes(StandardCharsets.UTF_8));
      DatasetSource source = DatasetSource.routing(s3);
      LabelledDataset d = LabelledDataset.read(source, "s3://datasets/spam/train.jsonl");
      assertEquals(List.of("ham", "spam"), d.labels());
      assertEquals("win a prize", d.examples().get(0).text());

      NoSuchFileException missing =
          assertThrows(
              NoSuchFileException.class,
              () -> LabelledDataset.read(source, "s3://datasets/spam/nope.jsonl"));
      assertTrue(
          missing.getMessage().contains("s3://datasets/spam/nope.jsonl"), missing.getMessage());
      IOException noKey = assertThrows(IOException.class, () -> source.open("s3://datasets"));
      assertTrue(noKey.getMessage().contains("must name a bucket and a key"), noKey.getMessage());
    }
  }

  @Test
  void withoutAClientS3LocationsFailClearly() {
    IOException e =
        assertThrows(IOException.class, () -> DatasetSource.routing(null).open("s3://b/k.jsonl"));
    assertEquals(
        "cannot read s3://b/k.jsonl: no S3 client is configured for datasets", e.getMessage());
  }
}
