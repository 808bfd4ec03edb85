package io.maaskit.it.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.IntegrityException;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.registry.*;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.Progress;
import io.maaskit.model.store.S3ModelStore;
import io.maaskit.model.store.S3Settings;
import io.maaskit.model.store.S3TestServer;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.store.internal.S3Location;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.testing.TestTexts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The real all-MiniLM-L6-v2 package published to S3Proxy and served from {@code s3://} through the
 * registry: single-flight cold loads counted at the server, embeddings identical to the local
 * store's, the content-addressed cache, memory mode, and integrity failures that heal once the
 * object is fixed.
 */
class S3RegistryTest {
  static final String BUCKET = "models-bucket";
  static final String NAME = "all-minilm-l6-v2";
  static final ModelId V1 = new ModelId(NAME, "1");
  static final ModelId V2 = new ModelId(NAME, "2");

  @TempDir static Path tmp;
  static S3TestServer server;
  static S3Client client;
  static S3Settings settings;
  static Engine runtime;
  static ModelManifest v1;
  static ModelManifest v2;
  static List<String> texts;
  static float[][] localVectors;

  @BeforeAll
  static void publishAndComputeReference() throws Exception {
    Path pkg = TestModels.miniLm();
    server = S3TestServer.onDisk(tmp.resolve("s3proxy"));
    server.createBucket(BUCKET);
    settings = server.settings(S3Settings.DEFAULT_PART_SIZE, S3Settings.DEFAULT_CONCURRENCY, 3);
    client = server.client(settings);
    v1 = ModelPackage.read(pkg);
    v2 = secondVersion(pkg, tmp.resolve("v2"));
    try (S3ModelStore store = store("models")) {
      long t0 = System.nanoTime();
      store.publish(pkg, false, Progress.NONE);
      double secs = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "published %s (%.1f MB) to S3Proxy in %.2f s (%.0f MB/s, multipart)%n",
          V1, v1.totalBytes() / 1e6, secs, v1.totalBytes() / 1e6 / secs);
      store.publish(tmp.resolve("v2"), false, Progress.NONE);
    }
    runtime = EagerEngine.start(EngineOptions.defaults());
    texts =
        TestTexts.varied()
            .subList(0, 10); // short, non-ASCII, emoji: enough to compare, cheap on 2 cores
    LocalModelStore local = new LocalModelStore(TestModels.storeRoot());
    try (ModelRegistry reg =
        new ModelRegistry(
            local,
            new PackageLoader(
                local, new PackageCache(tmp.resolve("local-cache"), 0), LoadMode.CACHE, runtime),
            RegistryOptions.defaults())) {
      localVectors =
          EmbeddingService.embed(reg.get(V1, Capability.ENCODER, TextEncoder.class), texts, true)
              .vectors();
    }
  }

  /**
   * Version 2 shares model.safetensors and tokenizer.json with version 1; only config.json differs.
   */
  static ModelManifest secondVersion(Path v1Dir, Path dir) throws IOException {
    Files.createDirectories(dir);
    for (String f : List.of("model.safetensors", "tokenizer.json")) {
      Files.copy(v1Dir.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    Files.writeString(
        dir.resolve("config.json"), Files.readString(v1Dir.resolve("config.json")) + "\n");
    return ModelPackage.seal(dir, ModelPackage.read(v1Dir).withId(NAME, "2"));
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    server.close();
  }

  @BeforeEach
  void resetServer() {
    server.blobs().resetCounts();
    server.blobs().failNextGets(0, 503, "SlowDown");
    server.blobs().breakNextBodies(0, 0);
  }

  static S3ModelStore store(String prefix) {
    return new S3ModelStore(client, S3Location.parse("s3://" + BUCKET + "/" + prefix), settings);
  }

  static ModelRegistry registry(
      S3ModelStore store, Path cacheDir, LoadMode mode, RegistryOptions options) {
    return new ModelRegistry(
        store, new PackageLoader(store, new PackageCache(cacheDir, 0), mode, runtime), options);
  }

  /** Bytes of the files the PyTorch path reads: all but the compiled graph. */
  static long eagerBytes(ModelManifest m) {
    PackageFile graph = m.file(EncoderGraph.FILE);
    return m.totalBytes() - (graph == null ? 0 : graph.size());
  }

  /**
   * On ONNX Runtime the package loads from its graph: the safetensors are never downloaded, and the
   * vectors match the PyTorch ones from the local store.
   */
  @Test
  void onnxRuntimeDownloadsOnlyTheGraphConfigAndTokenizer() throws Exception {
    Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", 0, true));
    try (S3ModelStore store = store("models");
        ModelRegistry reg =
            new ModelRegistry(
                store,
                new PackageLoader(
                    store, new PackageCache(tmp.resolve("ort-cache"), 0), LoadMode.CACHE, ort),
                RegistryOptions.defaults())) {
      float[][] v =
          EmbeddingService.embed(reg.get(V1, Capability.ENCODER, TextEncoder.class), texts, true)
              .vectors();
      for (int i = 0; i < v.length; i++) {
        assertTrue(TestTexts.cosine(localVectors[i], v[i]) >= 0.9999, "input " + i);
      }
      assertEquals(0, server.blobs().gets(key("models", V1, "model.safetensors")));
      assertEquals(
          parts(v1.file(EncoderGraph.FILE)),
          server.blobs().gets(key("models", V1, EncoderGraph.FILE)));
      LoadStats s = stats(reg, V1);
      assertEquals(
          v1.file(EncoderGraph.FILE).size()
              + v1.file("config.json").size()
              + v1.file("tokenizer.json").size(),
          s.bytesDownloaded(),
          s.logLine());
      System.out.println("onnxruntime: " + s.logLine());
    }
  }

  static int parts(PackageFile f) {
    long part = settings.partSizeBytes();
    return f.size() <= part ? 1 : (int) ((f.size() + part - 1) / part);
  }

  static String key(String prefix, ModelId id, String file) {
    return prefix + "/" + id.name() + "/" + id.version() + "/" + file;
  }

  static LoadStats stats(ModelRegistry reg, ModelId id) {
    return reg.status().stream()
        .filter(s -> s.model().equals(id.toString()))
        .findFirst()
        .orElseThrow()
        .stats();
  }

  static void assertIdentical(float[][] expected, float[][] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertArrayEquals(expected[i], actual[i], "input " + i + " '" + texts.get(i) + "'");
    }
  }

  static List<String> files(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void fiftyConcurrentColdRequestsDownloadEachFileOnceAndEmbedExactlyLikeTheLocalStore()
      throws Exception {
    try (S3ModelStore store = store("models");
        ModelRegistry reg =
            registry(
                store, tmp.resolve("cold-cache"), LoadMode.CACHE, RegistryOptions.defaults())) {
      int callers = 50;
      CountDownLatch go = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(callers);
      List<Future<TextEncoder>> results = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return reg.get(ModelId.parse(NAME + "@1"), Capability.ENCODER, TextEncoder.class);
                }));
      }
      long t0 = System.nanoTime();
      go.countDown();
      TextEncoder first = results.get(0).get();
      for (Future<TextEncoder> r : results) {
        assertSame(first, r.get(), "every caller gets the one loaded instance");
      }
      long millis = (System.nanoTime() - t0) / 1_000_000;
      pool.shutdown();

      // Server side: one manifest GET, and per file exactly its parts (11 ranged GETs for the 90 MB
      // weights).
      assertEquals(1, server.blobs().gets(key("models", V1, ModelManifest.FILE)));
      int expected = 1;
      for (PackageFile f : v1.files()) {
        // files are fetched when the model reads them: PyTorch never reads the compiled graph
        int want = f.path().equals(EncoderGraph.FILE) ? 0 : parts(f);
        assertEquals(want, server.blobs().gets(key("models", V1, f.path())), f.path());
        expected += want;
      }
      assertEquals(11, parts(v1.file("model.safetensors")));
      assertEquals(expected, server.blobs().totalGets(), server.blobs().ranges().toString());
      long manifestBytes = Files.size(TestModels.miniLm().resolve(ModelManifest.FILE));
      assertEquals(
          eagerBytes(v1) + manifestBytes,
          server.blobs().bytesServed(),
          "every byte it reads served once");

      assertIdentical(localVectors, EmbeddingService.embed(first, texts, true).vectors());
      LoadStats s = stats(reg, V1);
      assertEquals(eagerBytes(v1), s.bytesDownloaded());
      assertEquals(0, s.bytesFromCache());
      System.out.printf(
          "50 concurrent cold requests: %d GETs in total, all served after %d ms; %s%n",
          server.blobs().totalGets(), millis, s.logLine());
    }
  }

  @Test
  void versionLessNamesAreResolvedWithOneListing() throws Exception {
    try (S3ModelStore store = store("models");
        ModelRegistry reg =
            registry(
                store, tmp.resolve("resolve-cache"), LoadMode.CACHE, RegistryOptions.defaults())) {
      CountDownLatch go = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(20);
      List<Future<ModelId>> ids = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        ids.add(
            pool.submit(
                () -> {
                  go.await();
                  return reg.preload(ModelId.parse(NAME)).get().manifest().id();
                }));
      }
      go.countDown();
      for (Future<ModelId> id : ids) {
        assertEquals(V2, id.get(), "the highest published version");
      }
      pool.shutdown();
      assertEquals(1, server.blobs().lists(), "one LIST, not one per request");
    }
  }

  @Test
  void aWarmCacheAndFilesSharedBetweenVersionsAreNotDownloadedAgain() throws Exception {
    Path cache = tmp.resolve("shared-cache");
    try (S3ModelStore store = store("models");
        ModelRegistry first = registry(store, cache, LoadMode.CACHE, RegistryOptions.defaults())) {
      first.get(V1, Capability.ENCODER, TextEncoder.class);
      assertEquals(eagerBytes(v1), stats(first, V1).bytesDownloaded());
    }
    server.blobs().resetCounts();
    try (S3ModelStore store = store("models");
        ModelRegistry second = registry(store, cache, LoadMode.CACHE, RegistryOptions.defaults())) {
      assertIdentical(
          localVectors,
          EmbeddingService.embed(second.get(V1, Capability.ENCODER, TextEncoder.class), texts, true)
              .vectors());
      LoadStats s1 = stats(second, V1);
      assertEquals(0, s1.bytesDownloaded(), s1.logLine());
      assertEquals(eagerBytes(v1), s1.bytesFromCache());
      assertEquals(1, server.blobs().totalGets(), "only the manifest: " + server.blobs().ranges());

      second.get(V2, Capability.ENCODER, TextEncoder.class);
      LoadStats s2 = stats(second, V2);
      assertEquals(
          v2.file("config.json").size(),
          s2.bytesDownloaded(),
          "only the changed config.json: " + s2.logLine());
      assertEquals(0, server.blobs().gets(key("models", V2, "model.safetensors")));
      assertEquals(0, server.blobs().gets(key("models", V2, "tokenizer.json")));
      assertEquals(1, server.blobs().gets(key("models", V2, "config.json")));
    }
    assertEquals(4, files(cache).size(), "v1's three files and v2's config.json: " + files(cache));
  }

  @Test
  void memoryModeLoadsTheSameModelAndWritesNothingToDisk() throws Exception {
    Path cache = tmp.resolve("memory-cache");
    try (S3ModelStore store = store("models");
        ModelRegistry reg = registry(store, cache, LoadMode.MEMORY, RegistryOptions.defaults())) {
      assertIdentical(
          localVectors,
          EmbeddingService.embed(reg.get(V1, Capability.ENCODER, TextEncoder.class), texts, true)
              .vectors());
      LoadStats s = stats(reg, V1);
      assertEquals(eagerBytes(v1), s.bytesDownloaded());
      assertEquals(0, s.bytesFromCache());
      System.out.println("memory mode: " + s.logLine());
    }
    assertFalse(
        Files.exists(cache) && !files(cache).isEmpty(), "memory mode wrote " + files(cache));
  }

  @Test
  void truncatedAndCorruptedObjectsFailTheLoadAndAFixedObjectLoadsAfterBackoff() throws Exception {
    Path cache = tmp.resolve("fault-cache");
    RegistryOptions quickRetry =
        new RegistryOptions(
            Duration.ofSeconds(60), Duration.ofMillis(100), Duration.ofMillis(400), 0);
    try (S3ModelStore store = store("faulty")) {
      store.publish(TestModels.miniLm(), false, Progress.NONE);
      String weightsKey = key("faulty", V1, "model.safetensors");
      String tokenizerKey = key("faulty", V1, "tokenizer.json");
      byte[] weights = server.getRaw(BUCKET, weightsKey);
      byte[] tokenizer = server.getRaw(BUCKET, tokenizerKey);
      try (ModelRegistry reg = registry(store, cache, LoadMode.CACHE, quickRetry)) {
        server.putRaw(BUCKET, weightsKey, Arrays.copyOf(weights, 40_000_000));
        ModelUnavailableException cut =
            assertThrows(
                ModelUnavailableException.class,
                () -> reg.get(V1, Capability.ENCODER, TextEncoder.class));
        IntegrityException cutCause = assertInstanceOf(IntegrityException.class, cut.getCause());
        assertTrue(
            cutCause
                .getMessage()
                .contains("size mismatch for model.safetensors: manifest says 90272656 bytes"),
            cutCause.getMessage());
        assertTrue(
            cutCause.getMessage().contains("s3://" + BUCKET + "/" + weightsKey),
            cutCause.getMessage());
        assertEquals(ModelRegistry.State.FAILED, reg.status().get(0).state());
        assertEquals(
            List.of(v1.file("config.json").sha256()),
            files(cache),
            "only the good config.json was cached");

        server.putRaw(BUCKET, weightsKey, weights);
        byte[] flipped = tokenizer.clone();
        flipped[1000] ^= 0x20;
        server.putRaw(BUCKET, tokenizerKey, flipped);
        Thread.sleep(150);
        ModelUnavailableException bad =
            assertThrows(
                ModelUnavailableException.class,
                () -> reg.get(V1, Capability.ENCODER, TextEncoder.class));
        IntegrityException badCause = assertInstanceOf(IntegrityException.class, bad.getCause());
        assertTrue(
            badCause.getMessage().contains("SHA-256 mismatch for tokenizer.json"),
            badCause.getMessage());
        assertTrue(
            badCause.getMessage().contains(v1.file("tokenizer.json").sha256())
                && badCause
                    .getMessage()
                    .contains(ModelPackage.sha256(java.nio.ByteBuffer.wrap(flipped))),
            badCause.getMessage());
        assertTrue(
            bad.retryAfter().toMillis() >= 1000,
            "Retry-After is whole seconds: " + bad.retryAfter());
        assertFalse(files(cache).contains(v1.file("tokenizer.json").sha256()));
        assertTrue(
            files(cache).stream().noneMatch(f -> f.endsWith(".part")),
            "no temp files left: " + files(cache));

        server.putRaw(BUCKET, tokenizerKey, tokenizer);
        Thread.sleep(250);
        assertIdentical(
            localVectors,
            EmbeddingService.embed(reg.get(V1, Capability.ENCODER, TextEncoder.class), texts, true)
                .vectors());
        LoadStats s = stats(reg, V1);
        assertEquals(
            v1.file("tokenizer.json").size(),
            s.bytesDownloaded(),
            "the rest came from the cache: " + s.logLine());
        assertEquals(ModelRegistry.State.READY, reg.status().get(0).state());
      }
    }
  }

  @Test
  void missingModelIsNotFoundAndAThrottledStoreIsUnavailableWithRetryAfter() throws Exception {
    try (S3ModelStore store = store("models");
        ModelRegistry reg =
            registry(
                store, tmp.resolve("missing-cache"), LoadMode.CACHE, RegistryOptions.defaults())) {
      ModelNotFoundException nf =
          assertThrows(ModelNotFoundException.class, () -> reg.get(ModelId.parse("nope@1")));
      assertTrue(
          nf.getMessage().contains("s3://" + BUCKET + "/models/nope/1/maas-model.json"),
          nf.getMessage());
      assertThrows(ModelNotFoundException.class, () -> reg.get(ModelId.parse("nope")));

      server.blobs().failNextGets(1000, 503, "SlowDown");
      ModelUnavailableException e =
          assertThrows(ModelUnavailableException.class, () -> reg.get(V1));
      assertTrue(e.getMessage().contains("503 SlowDown"), e.getMessage());
      assertTrue(e.retryAfter().toSeconds() >= 1);
      assertEquals(
          settings.maxAttempts(),
          server.blobs().gets(key("models", V1, ModelManifest.FILE)),
          "the SDK retried up to maxAttempts");
    }
  }
}
