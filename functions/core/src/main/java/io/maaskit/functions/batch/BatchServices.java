package io.maaskit.functions.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.GenerationCalls;
import io.maaskit.functions.MaasConfig;
import io.maaskit.functions.ModelServices;
import io.maaskit.functions.QueueServices;
import io.maaskit.model.store.ModelHome;
import io.maaskit.model.store.S3Stores;
import io.maaskit.model.task.Admission;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.task.ExplainService;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import org.jboss.logging.Logger;

/**
 * Wires the Files and Batches APIs from {@code maas.batch.*}, once per process: the store (S3 or a
 * directory), the services, and where steps run: a queue ({@code maas.batch.queue-url}, else {@code
 * maas.queue.url}) or, with none, the server's own background pool, which resumes the batches a
 * previous run left at start-up.
 */
@Singleton
public class BatchServices {
  private static final Logger LOG = Logger.getLogger(BatchServices.class);

  private final MaasConfig config;
  private final ModelServices models;
  private final Instance<QueueServices> queues;
  private final ObjectMapper json;
  private final BatchEndpoints endpoints;
  private volatile BatchFiles files;
  private volatile Batches batches;
  private LocalDispatch local;

  public BatchServices(
      MaasConfig config,
      ModelServices models,
      Instance<QueueServices> queues,
      ObjectMapper json,
      EmbeddingService embeddings,
      ClassificationService classification,
      ExplainService explanations,
      GenerationCalls generation) {
    this.config = config;
    this.models = models;
    this.queues = queues;
    this.json = json;
    this.endpoints = new BatchEndpoints(embeddings, classification, explanations, generation, json);
  }

  /** The Files API. */
  public BatchFiles files() {
    start();
    return files;
  }

  /** The Batches API and its steps. */
  public Batches batches() {
    start();
    return batches;
  }

  /**
   * The answers to batch requests: the same bindings and services as the HTTP routes. A second
   * {@link Batches} over the same store (another process's, rebuilt after a restart) uses them.
   */
  public BatchEndpoints endpoints() {
    return endpoints;
  }

  /** The queue chunk messages go to, or null to run them in this process. */
  String queueUrl() {
    return config.batch().queueUrl().or(() -> config.queue().url()).orElse(null);
  }

  private synchronized void start() {
    if (batches != null) {
      return;
    }
    MaasConfig.Batch c = config.batch();
    String where =
        c.store()
            .orElseGet(
                () ->
                    ModelHome.resolve(
                            k ->
                                k.equals("MAAS_HOME")
                                    ? config.home().orElse(null)
                                    : System.getenv(k),
                            System.getProperty("user.home"))
                        .resolve("batches")
                        .toString());
    BatchStore store =
        where.startsWith("s3://")
            ? new S3BatchStore(S3Stores.client(models.s3Settings()), where)
            : new LocalBatchStore(Path.of(where));
    Clock clock = Clock.systemUTC();
    BatchFiles f = new BatchFiles(store, json, clock, c.maxFileBytes(), c.maxFileLines());
    Admission admission = models.admission();
    Batches b =
        new Batches(
            store, f, endpoints, json, clock, c.chunkLines(), c.completionWindow(), admission);
    String queue = queueUrl();
    if (queue != null) {
      b.dispatchTo(new SqsDispatch(queues.get().sqs(), queue, json));
    } else {
      local = new LocalDispatch(b, c.concurrency());
      b.dispatchTo(local);
    }
    LOG.infof(
        "batches in %s, steps %s",
        store.location(), queue == null ? "run in this process" : "sent to " + queue);
    files = f;
    batches = b;
  }

  /** Without a queue, picks up the batches a previous run of the server left unfinished. */
  void resume(@Observes StartupEvent ev) {
    if (queueUrl() != null || config.batch().store().isEmpty() && !localStoreExists()) {
      return;
    }
    try {
      batches().resume();
    } catch (RuntimeException e) {
      LOG.warnf("could not resume unfinished batches: %s", e.getMessage());
    }
  }

  private boolean localStoreExists() {
    return java.nio.file.Files.isDirectory(
        ModelHome.resolve(
                k -> k.equals("MAAS_HOME") ? config.home().orElse(null) : System.getenv(k),
                System.getProperty("user.home"))
            .resolve("batches"));
  }

  void stop(@Observes ShutdownEvent ev) {
    LocalDispatch l = local;
    if (l != null) {
      l.close();
    }
  }
}
