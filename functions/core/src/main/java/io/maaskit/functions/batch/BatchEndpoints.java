package io.maaskit.functions.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.GenerationCalls;
import io.maaskit.functions.protocol.ExplainJson;
import io.maaskit.functions.protocol.OpenAi;
import io.maaskit.functions.protocol.Tei;
import io.maaskit.functions.routes.Routes;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.task.ExplainService;
import java.util.List;

/**
 * Runs one batch request line's {@code body} on its {@code url}, through the same bindings and
 * services (admission included) as the HTTP route of that path, and returns the body that route
 * would answer.
 */
public final class BatchEndpoints {
  /** The endpoints a batch may name. */
  public static final List<String> URLS =
      List.of("/v1/embeddings", "/v1/chat/completions", "/v1/completions", "/predict", "/explain");

  private final EmbeddingService embeddings;
  private final ClassificationService classification;
  private final ExplainService explanations;
  private final GenerationCalls generation;
  private final ObjectMapper json;

  public BatchEndpoints(
      EmbeddingService embeddings,
      ClassificationService classification,
      ExplainService explanations,
      GenerationCalls generation,
      ObjectMapper json) {
    this.embeddings = embeddings;
    this.classification = classification;
    this.explanations = explanations;
    this.generation = generation;
    this.json = json;
  }

  /** The embedding service (its admission is the process's). */
  EmbeddingService embeddings() {
    return embeddings;
  }

  /**
   * The answer to one request; the core's typed exceptions for everything the route would refuse.
   */
  public Object run(String url, JsonNode body, Cancellation cancellation) {
    switch (url) {
      case "/v1/embeddings" -> {
        OpenAi.EmbeddingsCall call = OpenAi.embeddingsRequest(body, embeddings.maxInputs());
        return OpenAi.embeddings(
            embeddings.embed(call.request(), cancellation), call.encodingFormat());
      }
      case "/v1/chat/completions", "/v1/completions" -> {
        GenerationCalls.Call call;
        try {
          call = generation.parse(Routes.at(url), json.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
          throw new InvalidRequestException("the request body cannot be written as JSON");
        }
        if (call.stream()) {
          throw new InvalidRequestException("'stream' must be false (or absent) in a batch");
        }
        return generation.whole(call, cancellation);
      }
      case "/predict" -> {
        return classification
            .classify(Tei.classifyRequest(body, classification.maxInputs()), cancellation)
            .predictions();
      }
      case "/explain" -> {
        return ExplainJson.explain(explanations, body, cancellation).body();
      }
      default ->
          throw new InvalidRequestException(
              "'url' must be one of " + String.join(", ", URLS) + ", not '" + url + "'");
    }
  }
}
