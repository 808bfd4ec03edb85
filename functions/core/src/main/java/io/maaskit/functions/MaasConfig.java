package io.maaskit.functions;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * Every setting of the functions, in one place: the one configuration channel. Environment
 * variables map by name: {@code MAAS_MODEL_STORE} → {@code maas.model-store}, {@code
 * MAAS_S3_PATH_STYLE} → {@code maas.s3.path-style}, {@code MAAS_QUEUE_WAIT_SECONDS} → {@code
 * maas.queue.wait-seconds}, and so on. {@link ModelServices} and {@link QueueServices} turn these
 * into the core's records; a setting the core has a default for is optional here, so each default
 * is defined once, in the core.
 */
@ConfigMapping(prefix = "maas")
public interface MaasConfig {
  /**
   * The kit's home ({@code MAAS_HOME}); unset: {@code $XDG_CACHE_HOME/maaskit}, else {@code
   * ~/.cache/maaskit} ({@link io.maaskit.model.store.ModelHome}, the rule the commands and scripts
   * follow too). The store and cache default to {@code models} and {@code cache} under it.
   */
  Optional<String> home();

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

  /**
   * Reranker (capability {@code reranker}) used when a {@code /rerank} or {@code /v1/rerank}
   * request names none; unset = the request must name its model.
   */
  Optional<String> defaultReranker();

  /**
   * Token classifier (capability {@code token-classifier}) used when a queue {@code ner} message
   * names none; {@code /predict} answers entities whenever the model it names is one.
   */
  Optional<String> defaultTokenClassifier();

  /**
   * Question answerer (capability {@code question-answerer}) used when an {@code /answer} request
   * names none; unset = the request must name its model.
   */
  Optional<String> defaultQuestionAnswerer();

  /** Local cache of downloaded package files (content-addressed). */
  Optional<String> cacheDir();

  /** Cache size budget in MB; 0 = unlimited. */
  @WithDefault("0")
  long cacheBudgetMb();

  /** {@code cache} (disk) or {@code memory} (stream weights into memory; Lambda SnapStart). */
  @WithDefault("cache")
  String loadMode();

  /**
   * How long a request waits for a loading model before 503 + Retry-After; default {@link
   * io.maaskit.model.registry.RegistryOptions#defaults()}.
   */
  Optional<Duration> loadWait();

  /**
   * First backoff after a failed load (doubles per failure, capped); default {@link
   * io.maaskit.model.registry.RegistryOptions#defaults()}.
   */
  Optional<Duration> retryBackoff();

  /**
   * Weights the registry may hold in memory, in MB: a load that would go beyond it is refused (503)
   * until the process restarts; unset or 0 = unlimited.
   */
  Optional<Long> memoryBudgetMb();

  /** Most inputs per request. */
  @WithDefault("256")
  int maxInputs();

  /**
   * Forward passes (sub-batches) in flight per process; default {@link
   * io.maaskit.model.task.AdmissionOptions#defaults()} (half the cores, at least 1).
   */
  Optional<Integer> maxConcurrentBatches();

  /**
   * Requests that may wait for a batch slot; more are refused at once with 503 + Retry-After;
   * default {@link io.maaskit.model.task.AdmissionOptions#defaults()} (4 per slot).
   */
  Optional<Integer> maxQueuedRequests();

  /**
   * Longest a request waits for a batch slot before 503; default {@link
   * io.maaskit.model.task.AdmissionOptions#defaults()}.
   */
  Optional<Duration> admissionWait();

  /**
   * Most tokens one request may cost (inputs × tokens after truncation), else 413; 0 = no limit;
   * default {@link io.maaskit.model.task.AdmissionOptions#defaults()}.
   */
  Optional<Long> maxRequestTokens();

  /**
   * Most inputs per {@code /explain} request: each costs {@link #explainSteps()} forward and
   * backward passes.
   */
  @WithDefault("16")
  int explainMaxInputs();

  /**
   * Integrated Gradients steps when an {@code /explain} request gives none (at most 512); unset =
   * {@code ExplainService.DEFAULT_STEPS}.
   */
  Optional<Integer> explainSteps();

  /**
   * Most token-passes one {@code /explain} request may cost (per input its tokens times the forward
   * passes its method runs; a gradient step counts three), else 413; 0 = no limit; unset = {@code
   * ExplainService.DEFAULT_MAX_COST}.
   */
  Optional<Long> explainMaxCost();

  /** {@code auto}, {@code cpu} or {@code gpu}. */
  @WithDefault("auto")
  String device();

  /**
   * Which engine serves each package: {@code auto} (PyTorch on a GPU; on a CPU ONNX Runtime for
   * packages with a compiled graph, else PyTorch where this deployable carries it), {@code
   * onnxruntime} or {@code pytorch}; see {@link io.maaskit.model.registry.EngineChoice}.
   */
  @WithDefault("auto")
  String engine();

  /** Engine intra-op threads; 0 = engine default. */
  @WithDefault("0")
  int threads();

  /**
   * Optional API key for HTTP deployables: requests must send {@code Authorization: Bearer <key>}.
   */
  Optional<String> apiKey();

  /** Text generation: {@code maas.generation.*}. */
  Generation generation();

  /** How the S3 store (and the S3 results sink) reach S3: {@code maas.s3.*}. */
  S3 s3();

  /** The SQS client: {@code maas.sqs.*}. */
  Sqs sqs();

  /** The queue worker of long-running deployables: {@code maas.queue.*}. */
  Queue queue();

  /** Where queue results go: {@code maas.results.*}. */
  Results results();

  /** The Files and Batches APIs: {@code maas.batch.*}. */
  Batch batch();

  /**
   * Longest training job a queue message may start (long-running deployables: the Lambda zips run
   * no training).
   */
  @WithDefault("14m")
  Duration trainTimeLimit();

  /** Load the default model at start-up (and before a SnapStart snapshot). */
  @WithDefault("false")
  boolean preload();

  /** {@code maas.s3.*}; unset values take {@link io.maaskit.model.store.S3Settings#defaults()}. */
  interface S3 {
    /**
     * An S3-compatible endpoint ({@code MAAS_S3_ENDPOINT}), else the AWS SDKs' {@code
     * AWS_ENDPOINT_URL_S3}, else {@code AWS_ENDPOINT_URL}; unset = AWS.
     */
    @WithDefault("${AWS_ENDPOINT_URL_S3:${AWS_ENDPOINT_URL:}}")
    Optional<String> endpoint();

    /** Signing region ({@code AWS_REGION}, else {@code AWS_DEFAULT_REGION}; else the SDK chain). */
    @WithDefault("${AWS_REGION:${AWS_DEFAULT_REGION:}}")
    Optional<String> region();

    /**
     * Path-style addressing; unset = on exactly when an endpoint is set. An explicit value wins.
     */
    Optional<Boolean> pathStyle();

    /** Part size of ranged GETs and multipart uploads: bytes or {@code 16M}-style. */
    Optional<String> partSize();

    /** Parts in flight. */
    Optional<Integer> concurrency();

    /** Attempts per request. */
    Optional<Integer> maxAttempts();
  }

  /**
   * {@code maas.generation.*}; unset values take {@link
   * io.maaskit.model.task.GenerationOptions#defaults()}.
   */
  interface Generation {
    /** Generator used when a completions request names no model; unset = the model is required. */
    Optional<String> defaultModel();

    /** Sequences decoded together in one step (continuous batching), per generator. */
    Optional<Integer> maxSequences();

    /** Requests that may wait for room in the batch; more: 503 + Retry-After. */
    Optional<Integer> maxQueuedRequests();

    /** Most {@code n} (choices) per request. */
    Optional<Integer> maxChoices();

    /** Tokens generated when a request gives no {@code max_tokens}. */
    Optional<Integer> defaultMaxTokens();
  }

  /** {@code maas.sqs.*}. */
  interface Sqs {
    /**
     * An SQS-compatible endpoint, else {@code AWS_ENDPOINT_URL_SQS}, else {@code AWS_ENDPOINT_URL}.
     */
    @WithDefault("${AWS_ENDPOINT_URL_SQS:${AWS_ENDPOINT_URL:}}")
    Optional<String> endpoint();
  }

  /**
   * {@code maas.queue.*}; unset values take {@link io.maaskit.model.queue.QueueSettings#of}'s
   * defaults.
   */
  interface Queue {
    /**
     * Queue to poll in a long-running process (container, {@code scripts/serve --queue}); unset on
     * Lambda, which is handed its records.
     */
    Optional<String> url();

    /** Concurrent receivers of the queue worker. */
    Optional<Integer> concurrency();

    /** Long-poll wait per receive, 0–20 s. */
    Optional<Integer> waitSeconds();

    /** How long a received message stays hidden; 0 = the queue's own setting. */
    Optional<Integer> visibilitySeconds();

    /** Messages per receive, 1–10. */
    Optional<Integer> maxMessages();
  }

  /** {@code maas.results.*}: at least one is needed by anything that handles queue messages. */
  interface Results {
    /** {@code s3://bucket/prefix}: one object per message. */
    Optional<String> uri();

    /** An output queue URL: one message per result. */
    Optional<String> queueUrl();
  }

  /** {@code maas.batch.*}: the Files and Batches APIs. */
  interface Batch {
    /**
     * {@code s3://bucket/prefix} or a directory for files and batch states; unset = {@code
     * <home>/batches}.
     */
    Optional<String> store();

    /**
     * Queue for the batches' chunk messages; unset = {@code maas.queue.url}, else run in-process.
     */
    Optional<String> queueUrl();

    /** Requests per chunk (one queue message each). */
    @WithDefault("100")
    int chunkLines();

    /** Threads that run batches in the server itself when no queue is configured. */
    @WithDefault("1")
    int concurrency();

    /** Largest upload, in bytes (OpenAI's 200 MB). */
    @WithDefault("209715200")
    long maxFileBytes();

    /** Most requests (non-blank lines) per upload (OpenAI's 50,000). */
    @WithDefault("50000")
    int maxFileLines();

    /**
     * How long a batch has from its creation: chunks picked up later are not run and the batch ends
     * {@code expired}. Requests name {@code completion_window: "24h"}, the one value OpenAI
     * accepts; this enforces it, and may shorten it (tests).
     */
    @WithDefault("24h")
    java.time.Duration completionWindow();
  }
}
