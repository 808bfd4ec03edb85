package io.maaskit.model.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.error.IntegrityException;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.error.StoreAccessException;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.store.internal.S3Location;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 store against S3Proxy (the real protocol, in-process) with small synthetic packages:
 * publishing, ranged downloads, and every fault the store must turn into a typed error.
 */
class S3ModelStoreTest {
  static final long PART = 1 << 20; // 1 MiB download parts: the 6 MiB file takes 7 ranged GETs
  static final int BIG = (6 << 20) + 123;
  static S3TestServer server;
  static final AtomicInteger buckets = new AtomicInteger();

  @TempDir Path tmp;
  String bucket;
  S3Client client;
  S3ModelStore store;
  Path pkg;
  ModelManifest manifest;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3TestServer.inMemory();
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @BeforeEach
  void freshBucket() throws IOException {
    bucket = "test-" + buckets.incrementAndGet();
    server.createBucket(bucket);
    server.blobs().resetCounts();
    server.blobs().failNextGets(0, 503, "SlowDown");
    server.blobs().breakNextBodies(0, 0);
    server.blobs().failNextPartUploads(0);
    client = server.client(server.settings(PART, 4, 3));
    store =
        new S3ModelStore(
            client, S3Location.parse("s3://" + bucket + "/models"), server.settings(PART, 4, 3));
    pkg = syntheticPackage(tmp.resolve("pkg"), "tiny", "1", 7);
    manifest = ModelPackage.read(pkg);
  }

  @org.junit.jupiter.api.AfterEach
  void closeStore() {
    store.close();
    client.close();
  }

  /**
   * config.json, tokenizer.json (100 kB) and weights.bin (6 MiB + 123 B) of seeded random bytes.
   */
  static Path syntheticPackage(Path dir, String name, String version, long seed)
      throws IOException {
    Files.createDirectories(dir);
    Random r = new Random(seed);
    Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 8, \"seed\": " + seed + "}");
    byte[] tok = new byte[100_000];
    r.nextBytes(tok);
    Files.write(dir.resolve("tokenizer.json"), tok);
    byte[] big = new byte[BIG];
    r.nextBytes(big);
    Files.write(dir.resolve("weights.bin"), big);
    ModelPackage.seal(
        dir,
        new ModelManifest(
            null, name, version, null, null, "bert", null, null, null, null, null, List.of(), null,
            null));
    return dir;
  }

  String key(String file) {
    return "models/tiny/1/" + file;
  }

  byte[] fetchToMemory(PackageFile f) throws IOException {
    ByteBuffer b =
        PackageCache.toMemory(f, store.uri(), sink -> store.fetch(manifest.id(), f, sink));
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  @Test
  void publishesFilesThenManifestAndServesThemBackByteForByte() throws IOException {
    List<String> progress =
        java.util.Collections.synchronizedList(new ArrayList<>()); // parts report from pool threads
    store.publish(pkg, false, (what, done, total) -> progress.add(what + " " + done + "/" + total));

    assertEquals(List.of(new ModelId("tiny", "1")), store.list());
    assertEquals(new ModelId("tiny", "1"), store.resolve(ModelId.parse("tiny")));
    assertEquals(manifest, store.manifest(new ModelId("tiny", "1")));
    List<String> writes =
        server.blobs().writes().stream().filter(k -> k.startsWith("models/")).toList();
    assertEquals(
        key(ModelManifest.FILE),
        writes.get(writes.size() - 1),
        "manifest must be written last: " + writes);
    assertEquals(4, writes.size(), "three files and the manifest: " + writes);
    assertEquals(
        0, server.openUploads(bucket), "the multipart upload of weights.bin was completed");
    assertTrue(
        progress.stream().anyMatch(p -> p.startsWith("weights.bin")),
        "progress reported: " + progress);

    server.blobs().resetCounts();
    for (PackageFile f : manifest.files()) {
      assertArrayEquals(Files.readAllBytes(pkg.resolve(f.path())), fetchToMemory(f), f.path());
    }
    // Small files: one whole-object GET each; the 6 MiB file: 7 ranged GETs of 1 MiB covering it
    // once.
    assertEquals(1, server.blobs().gets(key("config.json")));
    assertEquals(1, server.blobs().gets(key("tokenizer.json")));
    assertEquals(7, server.blobs().gets(key("weights.bin")));
    List<String> ranges =
        server.blobs().ranges().stream()
            .filter(r -> r.startsWith(key("weights.bin")))
            .sorted()
            .toList();
    assertTrue(ranges.contains(key("weights.bin") + " bytes=0-1048575"), ranges.toString());
    assertTrue(
        ranges.contains(key("weights.bin") + " bytes=6291456-" + (BIG - 1)), ranges.toString());
    assertEquals(manifest.totalBytes(), server.blobs().bytesServed());
  }

  @Test
  void refusesToOverwriteAnExistingVersionUnlessTold() throws IOException {
    store.publish(pkg, false, Progress.NONE);
    FileAlreadyExistsException e =
        assertThrows(
            FileAlreadyExistsException.class, () -> store.publish(pkg, false, Progress.NONE));
    assertTrue(e.getMessage().contains("s3://" + bucket + "/models/tiny/1/"), e.getMessage());
    assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());

    Path changed = syntheticPackage(tmp.resolve("pkg2"), "tiny", "1", 99);
    store.publish(changed, true, Progress.NONE);
    ModelManifest now = store.manifest(new ModelId("tiny", "1"));
    assertEquals(ModelPackage.read(changed), now);
    PackageFile w = now.file("weights.bin");
    ByteBuffer b = PackageCache.toMemory(w, store.uri(), sink -> store.fetch(now.id(), w, sink));
    assertEquals(w.sha256(), ModelPackage.sha256(b));
  }

  @Test
  void failedMultipartUploadIsAbortedAndLeavesNoVisibleVersion() throws Exception {
    server.blobs().failNextPartUploads(1000);
    RuntimeException e =
        assertThrows(RuntimeException.class, () -> store.publish(pkg, false, Progress.NONE));
    assertInstanceOf(ModelUnavailableException.class, e, e.toString());
    assertTrue(e.getMessage().contains("s3://" + bucket + "/models/tiny/1/"), e.getMessage());
    assertFalse(
        server.exists(bucket, key(ModelManifest.FILE)), "no manifest after a failed publish");
    assertEquals(List.of(), store.list());
    assertEquals(0, server.openUploads(bucket), "the failed multipart upload was aborted");

    server.blobs().failNextPartUploads(0);
    store.publish(pkg, false, Progress.NONE);
    assertEquals(List.of(new ModelId("tiny", "1")), store.list());
  }

  @Test
  void missingBucketOrKeyIsNotFoundNamingTheUri() throws IOException {
    store.publish(pkg, false, Progress.NONE);
    ModelNotFoundException unknown =
        assertThrows(ModelNotFoundException.class, () -> store.manifest(new ModelId("nope", "1")));
    assertTrue(
        unknown.getMessage().contains("s3://" + bucket + "/models/nope/1/maas-model.json"),
        unknown.getMessage());
    assertThrows(ModelNotFoundException.class, () -> store.resolve(ModelId.parse("nope")));

    server.removeRaw(bucket, key("weights.bin"));
    PackageFile w = manifest.file("weights.bin");
    ModelNotFoundException file =
        assertThrows(ModelNotFoundException.class, () -> fetchToMemory(w));
    assertTrue(
        file.getMessage().contains("s3://" + bucket + "/models/tiny/1/weights.bin"),
        file.getMessage());

    try (S3ModelStore none =
        new S3ModelStore(
            client, S3Location.parse("s3://no-such-bucket/models"), store.settings())) {
      ModelNotFoundException b = assertThrows(ModelNotFoundException.class, none::list);
      assertTrue(b.getMessage().contains("s3://no-such-bucket/models/"), b.getMessage());
      ModelNotFoundException m =
          assertThrows(ModelNotFoundException.class, () -> none.manifest(new ModelId("tiny", "1")));
      assertTrue(
          m.getMessage().contains("s3://no-such-bucket/models/tiny/1/maas-model.json"),
          m.getMessage());
    }
  }

  @Test
  void wrongCredentialsAreAccessDenied() throws IOException {
    store.publish(pkg, false, Progress.NONE);
    S3Settings s = server.settings(PART, 4, 3);
    try (S3Client wrong = server.client(s, S3TestServer.ACCESS_KEY, "not-the-secret");
        S3ModelStore denied =
            new S3ModelStore(wrong, S3Location.parse("s3://" + bucket + "/models"), s)) {
      StoreAccessException e =
          assertThrows(StoreAccessException.class, () -> denied.manifest(new ModelId("tiny", "1")));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "access denied to s3://" + bucket + "/models/tiny/1/maas-model.json (403"),
          e.getMessage());
      assertThrows(StoreAccessException.class, denied::list);
      assertThrows(StoreAccessException.class, () -> denied.publish(pkg, true, Progress.NONE));
    }
  }

  @Test
  void throttlingIsRetriedWithBackoffThenServed() throws IOException {
    store.publish(pkg, false, Progress.NONE);
    server.blobs().resetCounts();
    server.blobs().failNextGets(2, 503, "SlowDown");
    assertEquals(manifest, store.manifest(manifest.id()));
    assertEquals(
        3, server.blobs().gets(key(ModelManifest.FILE)), "two throttled attempts, then success");
  }

  @Test
  void persistentServerErrorsBecomeUnavailableAfterMaxAttempts() throws IOException {
    store.publish(pkg, false, Progress.NONE);
    server.blobs().resetCounts();
    server.blobs().failNextGets(1000, 500, "InternalError");
    ModelUnavailableException e =
        assertThrows(ModelUnavailableException.class, () -> store.manifest(manifest.id()));
    assertTrue(
        e.getMessage().contains("s3://" + bucket + "/models/tiny/1/maas-model.json"),
        e.getMessage());
    assertTrue(e.getMessage().contains("500 InternalError"), e.getMessage());
    assertNotNull(e.retryAfter());
    assertEquals(3, server.blobs().gets(key(ModelManifest.FILE)), "maxAttempts = 3");
  }

  @Test
  void aConnectionDroppedMidPartRetriesThatPartOnly() throws IOException {
    store.publish(pkg, false, Progress.NONE);
    server.blobs().resetCounts();
    server.blobs().breakNextBodies(1, 300_000);
    PackageFile w = manifest.file("weights.bin");
    assertArrayEquals(Files.readAllBytes(pkg.resolve("weights.bin")), fetchToMemory(w));
    assertEquals(8, server.blobs().gets(key("weights.bin")), "7 parts plus one retried part");
  }

  @Test
  void corruptedOrTruncatedObjectsFailIntegrityAndNeverEnterTheCache() throws IOException {
    store.publish(pkg, false, Progress.NONE);
    PackageCache cache = new PackageCache(tmp.resolve("cache"), 0);
    PackageFile w = manifest.file("weights.bin");
    PackageFile t = manifest.file("tokenizer.json");
    byte[] weights = server.getRaw(bucket, key("weights.bin"));
    byte[] tokenizer = server.getRaw(bucket, key("tokenizer.json"));

    byte[] flipped = weights.clone();
    flipped[BIG / 2] ^= 1;
    server.putRaw(bucket, key("weights.bin"), flipped);
    IntegrityException sha =
        assertThrows(
            IntegrityException.class,
            () -> cache.fill(w, store.uri(), sink -> store.fetch(manifest.id(), w, sink)));
    assertTrue(sha.getMessage().contains("SHA-256 mismatch for weights.bin"), sha.getMessage());
    assertTrue(
        sha.getMessage().contains(w.sha256())
            && sha.getMessage().contains(ModelPackage.sha256(ByteBuffer.wrap(flipped))),
        "names both hashes: " + sha.getMessage());

    server.putRaw(bucket, key("weights.bin"), Arrays.copyOf(weights, 3 << 20));
    IntegrityException cut =
        assertThrows(
            IntegrityException.class,
            () -> cache.fill(w, store.uri(), sink -> store.fetch(manifest.id(), w, sink)));
    assertTrue(
        cut.getMessage().contains("size mismatch for weights.bin: manifest says " + BIG),
        cut.getMessage());
    assertTrue(
        cut.getMessage().contains("s3://" + bucket + "/models/tiny/1/weights.bin"),
        cut.getMessage());

    server.putRaw(bucket, key("tokenizer.json"), Arrays.copyOf(tokenizer, 1000));
    IntegrityException small = assertThrows(IntegrityException.class, () -> fetchToMemory(t));
    assertTrue(
        small.getMessage().contains("manifest says 100000 bytes, the object has 1000"),
        small.getMessage());
    assertEquals(List.of(), cacheEntries(cache), "nothing entered the cache, no temp files left");

    server.putRaw(bucket, key("weights.bin"), weights);
    Path filled = cache.fill(w, store.uri(), sink -> store.fetch(manifest.id(), w, sink));
    assertArrayEquals(weights, Files.readAllBytes(filled));
    assertEquals(List.of(w.sha256()), cacheEntries(cache));
  }

  static List<String> cacheEntries(PackageCache cache) throws IOException {
    if (!Files.isDirectory(cache.dir())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(cache.dir())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
