package io.maaskit.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.queue.QueueSettings;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.store.S3Settings;
import io.maaskit.model.task.AdmissionOptions;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The one configuration channel: environment variables, mapped by SmallRye Config (the library
 * Quarkus configures itself with) the way Quarkus maps them ({@code MAAS_S3_PATH_STYLE} → {@code
 * maas.s3.path-style}), become the core's records. Each test sets a documented variable and checks
 * the record it changes.
 */
class MaasConfigTest {

  /** The mapping over exactly these environment variables (no real environment). */
  static MaasConfig config(Map<String, String> env) {
    SmallRyeConfig c =
        new SmallRyeConfigBuilder()
            .addDefaultInterceptors()
            .withMapping(MaasConfig.class)
            // Quarkus's own "60s" / "14m" durations, as in the running application
            .withConverter(Duration.class, 200, new DurationConverter())
            .withSources(new EnvConfigSource(env, 300))
            .build();
    return c.getConfigMapping(MaasConfig.class);
  }

  static ModelServices models(Map<String, String> env) {
    return new ModelServices(config(env));
  }

  static QueueServices queues(Map<String, String> env) {
    MaasConfig c = config(env);
    return new QueueServices(c, new ModelServices(c), null, null, null, null, null, null, null);
  }

  static Map<String, String> env(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void unsetVariablesTakeTheCoresDefaults() {
    ModelServices m = models(env());
    assertEquals(S3Settings.defaults(), m.s3Settings());
    assertEquals(RegistryOptions.defaults(), m.registryOptions());
    assertEquals(AdmissionOptions.defaults(), m.admissionOptions());
    assertEquals(0, m.cacheBudgetBytes());
    assertEquals(LoadMode.CACHE, m.loadMode());
    String xdg = System.getenv("XDG_CACHE_HOME"); // the XDG base directory rule
    Path home =
        (xdg == null || xdg.isBlank()
                ? Path.of(System.getProperty("user.home"), ".cache")
                : Path.of(xdg))
            .resolve("maaskit");
    assertEquals(home.resolve("models").toString(), m.storeLocation());
    assertEquals(home.resolve("cache"), m.cacheDir());
    assertEquals(
        QueueSettings.of(null, "s3://bucket/results", null),
        queues(env("MAAS_RESULTS_URI", "s3://bucket/results")).settings());
  }

  @Test
  void maasHomeMovesTheStoreAndTheCache() {
    ModelServices m = models(env("MAAS_HOME", "/srv/maas"));
    assertEquals(Path.of("/srv/maas", "models").toString(), m.storeLocation());
    assertEquals(Path.of("/srv/maas", "cache"), m.cacheDir());
  }

  @Test
  void storeCacheAndLoadModeVariables() {
    ModelServices m =
        models(
            env(
                "MAAS_MODEL_STORE", "s3://models-bucket/prefix",
                "MAAS_CACHE_DIR", "/var/cache/maas",
                "MAAS_CACHE_BUDGET_MB", "512",
                "MAAS_LOAD_MODE", "memory"));
    assertEquals("s3://models-bucket/prefix", m.storeLocation());
    assertEquals(Path.of("/var/cache/maas"), m.cacheDir());
    assertEquals(512L << 20, m.cacheBudgetBytes());
    assertEquals(LoadMode.MEMORY, m.loadMode());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> models(env("MAAS_LOAD_MODE", "disk")).loadMode());
    assertTrue(e.getMessage().contains("MAAS_LOAD_MODE"), e.getMessage());
  }

  @Test
  void engineDeviceAndThreadsVariables() {
    assertEquals(new EngineOptions("auto", "auto", 0, true), models(env()).engineOptions());
    assertEquals(
        new EngineOptions("onnxruntime", "cpu", 3, true),
        models(env("MAAS_ENGINE", "onnxruntime", "MAAS_DEVICE", "cpu", "MAAS_THREADS", "3"))
            .engineOptions());
    assertEquals(
        new EngineOptions("pytorch", "gpu", 0, true),
        models(env("MAAS_ENGINE", "PyTorch", "MAAS_DEVICE", "gpu")).engineOptions());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> models(env("MAAS_ENGINE", "tensorrt")).engineOptions());
    assertEquals(
        "maas.engine (MAAS_ENGINE) must be auto, onnxruntime, pytorch, not 'tensorrt'",
        e.getMessage());
    IllegalArgumentException d =
        assertThrows(
            IllegalArgumentException.class,
            () -> models(env("MAAS_DEVICE", "tpu")).engineOptions());
    assertTrue(d.getMessage().contains("MAAS_DEVICE"), d.getMessage());
  }

  @Test
  void admissionVariables() {
    AdmissionOptions o =
        models(
                env(
                    "MAAS_MAX_CONCURRENT_BATCHES", "3",
                    "MAAS_MAX_QUEUED_REQUESTS", "7",
                    "MAAS_ADMISSION_WAIT", "2s",
                    "MAAS_MAX_REQUEST_TOKENS", "1000"))
            .admissionOptions();
    assertEquals(new AdmissionOptions(3, 7, Duration.ofSeconds(2), 1000), o);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> models(env("MAAS_MAX_CONCURRENT_BATCHES", "0")).admissionOptions());
    assertTrue(e.getMessage().contains("at least 1"), e.getMessage());
  }

  @Test
  void registryVariables() {
    RegistryOptions o =
        models(
                env(
                    "MAAS_LOAD_WAIT", "5s",
                    "MAAS_RETRY_BACKOFF", "250ms",
                    "MAAS_MEMORY_BUDGET_MB", "150"))
            .registryOptions();
    assertEquals(Duration.ofSeconds(5), o.loadWait());
    assertEquals(Duration.ofMillis(250), o.retryBackoff());
    assertEquals(150L << 20, o.memoryBudgetBytes());
    assertEquals(RegistryOptions.defaults().maxRetryBackoff(), o.maxRetryBackoff());
    assertEquals(RegistryOptions.defaults().latestTtl(), o.latestTtl());
    assertThrows(
        IllegalArgumentException.class,
        () -> models(env("MAAS_MEMORY_BUDGET_MB", "-1")).registryOptions());
  }

  @Test
  void s3EndpointVariablesInOrderOfPrecedence() {
    assertEquals(
        URI.create("http://generic:1"),
        models(env("AWS_ENDPOINT_URL", "http://generic:1")).s3Settings().endpointOverride());
    assertEquals(
        URI.create("http://s3-specific:2"),
        models(
                env(
                    "AWS_ENDPOINT_URL",
                    "http://generic:1",
                    "AWS_ENDPOINT_URL_S3",
                    "http://s3-specific:2"))
            .s3Settings()
            .endpointOverride());
    S3Settings mine =
        models(
                env(
                    "AWS_ENDPOINT_URL_S3", "http://s3-specific:2",
                    "MAAS_S3_ENDPOINT", "http://minio:9000"))
            .s3Settings();
    assertEquals(URI.create("http://minio:9000"), mine.endpointOverride());
    assertTrue(mine.pathStyle(), "an endpoint turns on path-style addressing by default");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> models(env("MAAS_S3_ENDPOINT", "localhost")).s3Settings());
    assertTrue(e.getMessage().contains("maas.s3.endpoint"), e.getMessage());
  }

  @Test
  void anExplicitPathStyleWinsOverWhatTheEndpointImplies() {
    S3Settings off =
        models(
                env(
                    "MAAS_S3_ENDPOINT",
                    "https://minio.internal:9000",
                    "MAAS_S3_PATH_STYLE",
                    "false"))
            .s3Settings();
    assertEquals(URI.create("https://minio.internal:9000"), off.endpointOverride());
    assertFalse(off.pathStyle());
    S3Settings offAws =
        models(env("AWS_ENDPOINT_URL_S3", "http://x:1", "MAAS_S3_PATH_STYLE", "false"))
            .s3Settings();
    assertFalse(offAws.pathStyle());
    S3Settings on = models(env("MAAS_S3_PATH_STYLE", "true")).s3Settings();
    assertNull(on.endpointOverride());
    assertTrue(on.pathStyle());
  }

  @Test
  void s3RegionAndTransferVariables() {
    S3Settings s =
        models(
                env(
                    "AWS_REGION", "eu-west-1",
                    "MAAS_S3_PART_SIZE", "16M",
                    "MAAS_S3_CONCURRENCY", "8",
                    "MAAS_S3_MAX_ATTEMPTS", "3"))
            .s3Settings();
    assertEquals("eu-west-1", s.region());
    assertEquals(16L << 20, s.partSizeBytes());
    assertEquals(8, s.concurrency());
    assertEquals(3, s.maxAttempts());
    assertEquals(
        "eu-north-1", models(env("AWS_DEFAULT_REGION", "eu-north-1")).s3Settings().region());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> models(env("MAAS_S3_PART_SIZE", "big")).s3Settings());
    assertTrue(e.getMessage().contains("MAAS_S3_PART_SIZE"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> models(env("MAAS_S3_CONCURRENCY", "0")).s3Settings());
  }

  @Test
  void queueAndResultsVariables() {
    QueueSettings s =
        queues(
                env(
                    "MAAS_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/123456789012/maas",
                    "MAAS_RESULTS_URI", "s3://bucket/results",
                    "MAAS_RESULTS_QUEUE_URL", "https://sqs/123/results",
                    "MAAS_QUEUE_CONCURRENCY", "4",
                    "MAAS_QUEUE_WAIT_SECONDS", "5",
                    "MAAS_QUEUE_VISIBILITY_SECONDS", "120",
                    "MAAS_QUEUE_MAX_MESSAGES", "1"))
            .settings();
    assertEquals(
        new QueueSettings(
            "https://sqs.eu-west-1.amazonaws.com/123456789012/maas",
            "s3://bucket/results",
            "https://sqs/123/results",
            4,
            5,
            120,
            1),
        s);
    IllegalStateException none =
        assertThrows(
            IllegalStateException.class,
            () -> queues(env("MAAS_QUEUE_URL", "https://q")).settings());
    assertTrue(none.getMessage().contains("MAAS_RESULTS_URI"), none.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            queues(env("MAAS_RESULTS_URI", "s3://b/r", "MAAS_QUEUE_WAIT_SECONDS", "30"))
                .settings());
  }

  @Test
  void sqsEndpointVariables() {
    try (SqsClient generic =
            queues(env("AWS_REGION", "us-east-1", "AWS_ENDPOINT_URL", "http://generic:1")).sqs();
        SqsClient specific =
            queues(
                    env(
                        "AWS_REGION", "us-east-1",
                        "AWS_ENDPOINT_URL", "http://generic:1",
                        "AWS_ENDPOINT_URL_SQS", "http://sqs-specific:2"))
                .sqs();
        SqsClient mine =
            queues(
                    env(
                        "AWS_REGION", "us-east-1",
                        "AWS_ENDPOINT_URL_SQS", "http://sqs-specific:2",
                        "MAAS_SQS_ENDPOINT", "http://elasticmq:9324"))
                .sqs()) {
      assertEquals(
          Optional.of(URI.create("http://generic:1")),
          generic.serviceClientConfiguration().endpointOverride());
      assertEquals(
          Optional.of(URI.create("http://sqs-specific:2")),
          specific.serviceClientConfiguration().endpointOverride());
      assertEquals(
          Optional.of(URI.create("http://elasticmq:9324")),
          mine.serviceClientConfiguration().endpointOverride());
      assertEquals("eu-west-2", regionOf(queues(env("AWS_REGION", "eu-west-2")).sqs()));
    }
  }

  private static String regionOf(SqsClient c) {
    try (c) {
      return c.serviceClientConfiguration().region().id();
    }
  }

  @Test
  void functionVariablesReachTheMapping() {
    MaasConfig c =
        config(
            env(
                "MAAS_DEFAULT_MODEL", "bge-small",
                "MAAS_DEFAULT_CLASSIFIER", "topics",
                "MAAS_MAX_INPUTS", "8",
                "MAAS_DEVICE", "cpu",
                "MAAS_THREADS", "3",
                "MAAS_API_KEY", "k",
                "MAAS_PRELOAD", "true",
                "MAAS_TRAIN_TIME_LIMIT", "90s"));
    assertEquals("bge-small", c.defaultModel());
    assertEquals("topics", c.defaultClassifier());
    assertEquals(8, c.maxInputs());
    assertEquals("cpu", c.device());
    assertEquals(3, c.threads());
    assertEquals(Optional.of("k"), c.apiKey());
    assertTrue(c.preload());
    assertEquals(Duration.ofSeconds(90), c.trainTimeLimit());
    MaasConfig d = config(env());
    assertEquals("all-minilm-l6-v2-int8", d.defaultModel());
    assertEquals(256, d.maxInputs());
    assertFalse(d.preload());
  }
}
