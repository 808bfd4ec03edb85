package io.maaskit.functions;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * Every setting of the functions, in one place. Environment variables map by name: {@code
 * MAAS_MODEL_STORE} → {@code maas.model-store}, {@code MAAS_DEFAULT_MODEL} → {@code
 * maas.default-model}, and so on. The core receives these as records.
 */
@ConfigMapping(prefix = "maas")
public interface MaasConfig {
  /** Store location: a local path or {@code s3://bucket/prefix}; default the user's cache. */
  Optional<String> modelStore();

  /**
   * Model used when a request names none: the int8 package, which cold-starts on ~4x fewer bytes.
   */
  @WithDefault("all-minilm-l6-v2-int8")
  String defaultModel();

  /** Classification model used when a {@code /predict} request names none. */
  @WithDefault("minilm-spam")
  String defaultClassifier();

  /** Local cache of downloaded package files (content-addressed). */
  Optional<String> cacheDir();

  /** Cache size budget in MB; 0 = unlimited. */
  @WithDefault("0")
  long cacheBudgetMb();

  /** {@code cache} (disk) or {@code memory} (stream weights into memory; Lambda SnapStart). */
  @WithDefault("cache")
  String loadMode();

  /** How long a request waits for a loading model before 503 + Retry-After. */
  @WithDefault("60s")
  Duration loadWait();

  /** First backoff after a failed load (doubles per failure, capped at 60 s). */
  @WithDefault("2s")
  Duration retryBackoff();

  /** Most inputs per request. */
  @WithDefault("256")
  int maxInputs();

  /** {@code auto}, {@code cpu} or {@code gpu}. */
  @WithDefault("auto")
  String device();

  /** Engine intra-op threads; 0 = engine default. */
  @WithDefault("0")
  int threads();

  /**
   * Optional API key for HTTP deployables: requests must send {@code Authorization: Bearer <key>}.
   */
  Optional<String> apiKey();

  /**
   * S3 endpoint override for S3-compatible stores (else {@code AWS_ENDPOINT_URL_S3} / {@code
   * AWS_ENDPOINT_URL}).
   */
  Optional<String> s3Endpoint();

  /** SQS endpoint override for SQS-compatible queues (else {@code AWS_ENDPOINT_URL_SQS}). */
  Optional<String> sqsEndpoint();

  /**
   * Queue to poll in a long-running process (container, {@code scripts/serve --queue}); unset on
   * Lambda.
   */
  Optional<String> queueUrl();

  /** Where queue results go: {@code s3://bucket/prefix} (one object per message). */
  Optional<String> resultsUri();

  /** Where queue results go: an output queue URL. */
  Optional<String> resultsQueueUrl();

  /** Concurrent receivers of the queue worker. */
  @WithDefault("2")
  int queueConcurrency();

  /** Longest training job a queue message may start (Lambda stops at 15 minutes). */
  @WithDefault("14m")
  java.time.Duration trainTimeLimit();

  /** Load the default model at start-up (and before a SnapStart snapshot). */
  @WithDefault("false")
  boolean preload();
}
