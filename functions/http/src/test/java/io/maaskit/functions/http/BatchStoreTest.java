package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.functions.batch.BatchStore;
import io.maaskit.functions.batch.LocalBatchStore;
import io.maaskit.functions.batch.S3BatchStore;
import io.maaskit.model.store.S3TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Both batch stores keep the promises the batches rely on: create-if-absent and
 * replace-if-unchanged are conditional (S3's {@code If-None-Match} / {@code If-Match}, served by
 * S3Proxy), listing is by prefix and sorted, and a missing object reads as null.
 */
class BatchStoreTest {
  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void conditionalWritesHold(BatchStore store) throws Exception {
    assertNull(store.get("batches/x/state.json"));
    assertTrue(store.create("batches/x/state.json", b("one")));
    assertFalse(store.create("batches/x/state.json", b("two")), "the first writer wins");
    BatchStore.Stored s = store.get("batches/x/state.json");
    assertArrayEquals(b("one"), s.data());
    assertTrue(store.replace("batches/x/state.json", b("three"), s.version()));
    assertFalse(
        store.replace("batches/x/state.json", b("four"), s.version()),
        "a stale version loses the race");
    assertArrayEquals(b("three"), store.get("batches/x/state.json").data());
    store.put("batches/x/results/c000001.jsonl", b("r1"));
    store.put("batches/x/results/c000000.jsonl", b("r0"));
    store.put("batches/y/state.json", b("y"));
    assertEquals(
        List.of("batches/x/results/c000000.jsonl", "batches/x/results/c000001.jsonl"),
        store.list("batches/x/results/"));
    assertEquals(
        List.of("batches/x/results/c000001.jsonl"), store.list("batches/x/results/c000001"));
    store.delete("batches/y/state.json");
    assertNull(store.open("batches/y/state.json"));
    store.delete("batches/y/state.json");
  }

  @Test
  void s3StoreWritesConditionallyOnS3Proxy() throws Exception {
    try (S3TestServer s3 = S3TestServer.inMemory();
        S3Client client = s3.client(s3.settings(8 << 20, 1, 1))) {
      s3.createBucket("batches");
      conditionalWritesHold(new S3BatchStore(client, "s3://batches/prefix"));
    }
  }

  @Test
  void localStoreWritesConditionally(@TempDir Path dir) throws Exception {
    conditionalWritesHold(new LocalBatchStore(dir));
    try (var files = Files.list(dir.resolve("batches/x"))) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".tmp-")));
    }
  }
}
