package io.maaskit.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.protocol.QueueJson;
import io.maaskit.functions.protocol.Tei;
import io.maaskit.model.queue.QueueMessageHandler;
import io.maaskit.model.queue.QueueSettings;
import io.maaskit.model.queue.ResultSink;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.queue.TaskOutput;
import io.maaskit.model.store.S3Stores;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.task.ExplainService;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.RerankService;
import io.maaskit.model.task.Rerankings;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
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
  private final ExplainService explanations;
  private final GenerationService generation;
  private final RerankService reranking;
  private final Instance<QueueTaskProvider> extraTasks;
  private final ObjectMapper json;
  private volatile QueueMessageHandler<JsonNode> handler;
  private volatile SqsClient sqs;

  public QueueServices(
      MaasConfig config,
      ModelServices models,
      EmbeddingService embeddings,
      ClassificationService classification,
      ExplainService explanations,
      GenerationService generation,
      RerankService reranking,
      Instance<QueueTaskProvider> extraTasks,
      ObjectMapper json) {
    this.json = json;
    this.reranking = reranking;
    this.explanations = explanations;
    this.generation = generation;
    this.config = config;
    this.extraTasks = extraTasks;
    this.models = models;
    this.embeddings = embeddings;
    this.classification = classification;
  }

  /**
   * Queue settings from {@code maas.queue.*} and {@code maas.results.*} over {@link
   * QueueSettings#of}'s defaults; the results destination is required.
   */
  public QueueSettings settings() {
    MaasConfig.Results results = config.results();
    if (results.uri().isEmpty() && results.queueUrl().isEmpty()) {
      throw new IllegalStateException(
          "queue results need a destination: set MAAS_RESULTS_URI (s3://bucket/prefix)"
              + " and/or MAAS_RESULTS_QUEUE_URL");
    }
    MaasConfig.Queue q = config.queue();
    QueueSettings d =
        QueueSettings.of(
            q.url().orElse(null), results.uri().orElse(null), results.queueUrl().orElse(null));
    return new QueueSettings(
        d.queueUrl(),
        d.resultsUri(),
        d.resultsQueueUrl(),
        q.concurrency().orElse(d.concurrency()),
        q.waitSeconds().orElse(d.waitTimeSeconds()),
        q.visibilitySeconds().orElse(d.visibilityTimeoutSeconds()),
        q.maxMessages().orElse(d.maxMessages()));
  }

  /**
   * The shared handler: one message → one task → one result in the sink, idempotent by message id.
   */
  public QueueMessageHandler<JsonNode> handler() {
    QueueMessageHandler<JsonNode> h = handler;
    if (h == null) {
      synchronized (this) {
        if (handler == null) {
          QueueSettings s = settings();
          S3Client s3 = s.resultsUri() == null ? null : S3Stores.client(models.s3Settings());
          ResultSink sink = ResultSink.of(s, s3, s.resultsQueueUrl() == null ? null : sqs());
          Map<String, TaskHandler<JsonNode>> tasks = new LinkedHashMap<>();
          tasks.put("embed", QueueJson.embed(embeddings));
          tasks.put("classify", QueueJson.classify(classification));
          tasks.put("explain", QueueJson.explain(explanations));
          tasks.put("generate", QueueJson.generate(generation));
          tasks.put("rerank", this::rerank);
          // Tasks beyond the core's (training, in the long-running deployables) come from the
          // deployable's own beans: a Lambda zip never carries the training module.
          for (QueueTaskProvider p : extraTasks) {
            tasks.put(p.name(), p.handler(s3));
          }
          handler =
              new QueueMessageHandler<>(
                  new QueueJson(json), tasks, sink, QueueServices::permanentError);
        }
        h = handler;
      }
    }
    return h;
  }

  /**
   * A failure that no retry can fix, mapped by the one error mapping: a client error (4xx) or a
   * feature this deployable lacks (501) is written as the message's result ({@code "status":
   * "error"}, the OpenAI error fields); anything else (503, 500) leaves the message for redelivery.
   */
  static Object permanentError(RuntimeException failure) {
    ErrorMapper.Mapped m = ErrorMapper.map(failure);
    int s = m.status();
    return (s >= 400 && s < 500) || s == 501 ? m.body().error() : null;
  }

  /**
   * {@code "rerank"}: the message carries the fields of {@code POST /rerank} ({@link
   * Tei#rerankRequest}); the result carries {@code "rankings"}: every text's index and score, most
   * relevant first.
   */
  private TaskOutput rerank(JsonNode message) {
    Tei.RerankCall call = Tei.rerankRequest(message, reranking.maxInputs());
    Rerankings r = reranking.rerank(call.request(), Cancellation.NONE);
    return new TaskOutput(r.model(), "rankings", Tei.ranks(r, call));
  }

  /**
   * The SQS client: endpoint from {@code maas.sqs.endpoint}, region from {@code maas.s3.region},
   * else the SDK's chains.
   */
  public SqsClient sqs() {
    SqsClient c = sqs;
    if (c == null) {
      synchronized (this) {
        if (sqs == null) {
          SqsClientBuilder b = SqsClient.builder();
          config
              .sqs()
              .endpoint()
              .ifPresent(e -> b.endpointOverride(ModelServices.endpoint("maas.sqs.endpoint", e)));
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
