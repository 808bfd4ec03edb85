package io.maaskit.functions;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.functions.protocol.Cohere;
import io.maaskit.functions.protocol.ExplainJson;
import io.maaskit.functions.protocol.OpenAi;
import io.maaskit.functions.protocol.Tei;
import io.maaskit.functions.protocol.TokenTasks;
import io.maaskit.model.task.AnswerRequest;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.Classifications.LabelScore;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.task.ExplainService;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.QuestionAnsweringService;
import io.maaskit.model.task.RerankService;
import io.maaskit.model.task.TokenClassificationService;
import io.quarkus.funqy.Funq;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/**
 * The functions, one per route that answers whole (the streaming routes, {@code /v1/completions}
 * and {@code /v1/chat/completions}, are bound once by {@link GenerationCalls}). Each binds its
 * protocol's body to a core record and delegates to a core service; every deployable (local HTTP,
 * API Gateway Lambda, SQS Lambda, queue worker) runs these same methods.
 */
public class ModelFunctions {
  @Inject EmbeddingService embeddings;
  @Inject ClassificationService classification;
  @Inject ExplainService explanations;
  @Inject GenerationService generation;
  @Inject RerankService reranking;
  @Inject TokenClassificationService tokenClassification;
  @Inject QuestionAnsweringService questionAnswering;
  @Inject ModelServices services;
  @Inject CallerCancellation caller;

  /** TEI-compatible {@code POST /embed}. */
  @Funq("embed")
  public float[][] embed(JsonNode body) {
    return embeddings
        .embed(Tei.embedRequest(body, embeddings.maxInputs()), caller.current())
        .vectors();
  }

  /** OpenAI-compatible {@code POST /v1/embeddings}. */
  @Funq("v1/embeddings")
  public OpenAi.EmbeddingList openAiEmbeddings(JsonNode body) {
    OpenAi.EmbeddingsCall call = OpenAi.embeddingsRequest(body, embeddings.maxInputs());
    return OpenAi.embeddings(
        embeddings.embed(call.request(), caller.current()), call.encodingFormat());
  }

  /** OpenAI-compatible {@code GET /v1/models}: every package in the store. */
  @Funq("v1/models")
  public OpenAi.ModelList models() {
    var registry = services.registry();
    return OpenAi.models(
        registry.available(), embeddings.defaultModel(), registry.engines()::servingEngine);
  }

  /**
   * TEI-compatible {@code POST /predict}: labels with probabilities, highest first, per input; on a
   * token classifier (the model the body names), its entities in Hugging Face's pipeline shape.
   */
  @Funq("predict")
  public Object predict(JsonNode body) {
    if (body != null && body.path("model").isTextual()) {
      String model = body.path("model").textValue();
      if (!model.isEmpty() && tokenClassification.serves(model)) {
        TokenTasks.EntitiesCall call =
            TokenTasks.entitiesRequest(body, tokenClassification.maxInputs());
        return TokenTasks.entities(
            tokenClassification.entities(call.request(), caller.current()), call);
      }
    }
    return classify(body);
  }

  /** {@code POST /classify}: sequence classification under the name the queue messages use. */
  @Funq("classify")
  public List<List<LabelScore>> classify(JsonNode body) {
    return classification
        .classify(Tei.classifyRequest(body, classification.maxInputs()), caller.current())
        .predictions();
  }

  /**
   * {@code POST /answer}: extractive question answering in the shape of Hugging Face's pipeline,
   * {@code {answer, score, start, end}}, a list when {@code top_k} > 1.
   */
  @Funq("answer")
  public Object answer(JsonNode body) {
    AnswerRequest request = TokenTasks.answerRequest(body);
    return TokenTasks.answers(questionAnswering.answer(request, caller.current()), request);
  }

  /**
   * TEI-compatible {@code POST /rerank}: every text's relevance to the query, most relevant first.
   */
  @Funq("rerank")
  public List<Tei.Rank> rerank(JsonNode body) {
    Tei.RerankCall call = Tei.rerankRequest(body, reranking.maxInputs());
    return Tei.ranks(reranking.rerank(call.request(), caller.current()), call);
  }

  /** {@code POST /v1/rerank} in the shape Cohere's and Jina's clients send. */
  @Funq("v1/rerank")
  public Cohere.RerankList v1Rerank(JsonNode body) {
    Cohere.RerankCall call = Cohere.rerankRequest(body, reranking.maxInputs());
    return Cohere.results(reranking.rerank(call.request(), caller.current()), call);
  }

  /**
   * {@code POST /explain}: per input, the label explained (the predicted one by default), its
   * probability and every token's attribution with its character span; for a generator's {@code
   * prompt} or {@code messages}, one element: each prompt token's contribution to the completion's
   * log-probability.
   */
  @Funq("explain")
  public List<Map<String, Object>> explain(JsonNode body) {
    return ExplainJson.explain(explanations, body, caller.current()).body();
  }

  /** {@code GET /info}: model states and per-load accounting (bytes, cache hits, durations). */
  @Funq("info")
  public Info info() {
    return Info.of(
        services.registry(),
        embeddings.maxInputs(),
        embeddings.admission(),
        generation,
        explanations);
  }
}
