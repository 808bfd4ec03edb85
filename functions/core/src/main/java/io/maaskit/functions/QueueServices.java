package io.maaskit.functions;

import io.maaskit.model.queue.QueueMessageHandler;
import io.maaskit.model.queue.QueueSettings;
import io.maaskit.model.queue.ResultSink;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.store.S3Stores;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.EmbeddingService;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;

/**
 * Wires the queue side from configuration, once per process: the message handler every queue
 * deployable shares (SQS Lambda, long-running worker), its result sink, and the SQS client.
 */
@Singleton
public class QueueServices {
  private final MaasConfig config;
  private final ModelServices models;
  private final EmbeddingService embeddings;
  private final ClassificationService classification;
  private final Instance<QueueTaskProvider> extraTasks;
  private volatile QueueMessageHandler handler;
  private volatile SqsClient sqs;

  public QueueServices(
      MaasConfig config,
      ModelServices models,
      EmbeddingService embeddings,
      ClassificationService classification,
      Instance<QueueTaskProvider> extraTasks) {
    this.config = config;
    this.extraTasks = extraTasks;
    this.models = models;
    this.embeddings = embeddings;
    this.classification = classification;
  }

  /** Queue settings; the results destination is required. */
  public QueueSettings settings() {
    if (config.resultsUri().isEmpty() && config.resultsQueueUrl().isEmpty()) {
      throw new IllegalStateException(
          "queue results need a destination: set MAAS_RESULTS_URI (s3://bucket/prefix)"
              + " and/or MAAS_RESULTS_QUEUE_URL");
    }
    return QueueSettings.of(
            config.queueUrl().orElse(null),
            config.resultsUri().orElse(null),
            config.resultsQueueUrl().orElse(null))
        .withConcurrency(config.queueConcurrency());
  }

  /**
   * The shared handler: one message → one task → one result in the sink, idempotent by message id.
   */
  public QueueMessageHandler handler() {
    QueueMessageHandler h = handler;
    if (h == null) {
      synchronized (this) {
        if (handler == null) {
          QueueSettings s = settings();
          S3Client s3 = s.resultsUri() == null ? null : S3Stores.client(models.s3Settings());
          ResultSink sink = ResultSink.of(s, s3, s.resultsQueueUrl() == null ? null : sqs());
          Map<String, TaskHandler> tasks = new LinkedHashMap<>();
          tasks.put("embed", TaskHandler.embed(embeddings));
          tasks.put("classify", TaskHandler.classify(classification));
          // Tasks beyond the core's (training, in the long-running deployables) come from the
          // deployable's own beans: a Lambda zip never carries the training module.
          for (QueueTaskProvider p : extraTasks) {
            tasks.put(p.name(), p.handler(s3));
          }
          handler = new QueueMessageHandler(tasks, sink);
        }
        h = handler;
      }
    }
    return h;
  }

  /**
   * The SQS client (endpoint override from {@code maas.sqs-endpoint}, else the SDK's environment).
   */
  public SqsClient sqs() {
    SqsClient c = sqs;
    if (c == null) {
      synchronized (this) {
        if (sqs == null) {
          SqsClientBuilder b = SqsClient.builder();
          config.sqsEndpoint().ifPresent(e -> b.endpointOverride(URI.create(e)));
          if (models.s3Settings().region() != null) {
            b.region(software.amazon.awssdk.regions.Region.of(models.s3Settings().region()));
          }
          sqs = b.build();
        }
        c = sqs;
      }
    }
    return c;
  }
}
