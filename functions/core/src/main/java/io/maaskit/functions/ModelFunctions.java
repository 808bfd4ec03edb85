package io.maaskit.functions;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.EmbeddingService;
import io.quarkus.funqy.Funq;
import jakarta.inject.Inject;
import java.util.List;

/**
 * The functions, one per route. Each is a one-line delegation to a core service; every deployable
 * (local HTTP, API Gateway Lambda, SQS Lambda, queue worker) runs these same methods.
 */
public class ModelFunctions {
  @Inject EmbeddingService embeddings;
  @Inject ClassificationService classification;
  @Inject ModelServices services;

  /** TEI-compatible {@code POST /embed}. */
  @Funq("embed")
  public float[][] embed(JsonNode body) {
    return embeddings.embedTei(body);
  }

  /** OpenAI-compatible {@code POST /v1/embeddings}. */
  @Funq("v1/embeddings")
  public EmbeddingService.OpenAiEmbeddings openAiEmbeddings(JsonNode body) {
    return embeddings.embedOpenAi(body);
  }

  /** OpenAI-compatible {@code GET /v1/models}: every package in the store. */
  @Funq("v1/models")
  public EmbeddingService.ModelList models() {
    return embeddings.models();
  }

  /** TEI-compatible {@code POST /predict}: labels with probabilities, highest first, per input. */
  @Funq("predict")
  public List<List<ClassificationService.LabelScore>> predict(JsonNode body) {
    return classification.predict(body);
  }

  /** {@code POST /classify}: the same task under the name the queue messages use. */
  @Funq("classify")
  public List<List<ClassificationService.LabelScore>> classify(JsonNode body) {
    return classification.predict(body);
  }

  /** {@code GET /info}: model states and per-load accounting (bytes, cache hits, durations). */
  @Funq("info")
  public Info info() {
    return Info.of(services.registry());
  }
}
