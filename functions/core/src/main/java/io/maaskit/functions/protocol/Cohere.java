package io.maaskit.functions.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.RerankRequest;
import io.maaskit.model.task.Rerankings;
import java.util.List;
import java.util.UUID;

/**
 * The rerank shape Cohere's and Jina's clients send to {@code POST /v1/rerank}: {@code model},
 * {@code query}, {@code documents} (strings or {@code {"text": ...}} objects), {@code top_n},
 * {@code return_documents}; answered with {@code results} of {@code index} and {@code
 * relevance_score} (the sigmoid of the model's logit), most relevant first, token {@code usage}
 * (Jina) and {@code meta.billed_units} (Cohere).
 */
public final class Cohere {
  /** Cohere bills one search unit per query and up to 100 documents. */
  private static final int DOCUMENTS_PER_SEARCH_UNIT = 100;

  private Cohere() {}

  /** A bound request and how its answer is shaped. */
  public record RerankCall(RerankRequest request, int topN, boolean returnDocuments) {}

  /**
   * Binds a {@code /v1/rerank} body; pairs over the model's limit are truncated, as Cohere does.
   */
  public static RerankCall rerankRequest(JsonNode body, int maxInputs) {
    JsonFields.object(body);
    String query = Tei.query(body);
    List<String> documents = JsonFields.texts(documentTexts(body), "documents", maxInputs);
    Integer topN = JsonFields.integer(body, "top_n", null);
    if (topN != null && topN < 1) {
      throw new InvalidRequestException("'top_n' must be at least 1, got " + topN);
    }
    return new RerankCall(
        new RerankRequest(JsonFields.string(body, "model", null), query, documents, true),
        topN == null ? documents.size() : Math.min(topN, documents.size()),
        JsonFields.bool(body, "return_documents", false));
  }

  /**
   * {@code documents} with each {@code {"text": "..."}} object replaced by its text, so the
   * strings' checks (type, emptiness, count) apply to both forms.
   */
  private static JsonNode documentTexts(JsonNode body) {
    JsonNode docs = body.get("documents");
    if (docs == null || !docs.isArray()) {
      return body;
    }
    ArrayNode texts = JsonNodeFactory.instance.arrayNode(docs.size());
    for (int i = 0; i < docs.size(); i++) {
      JsonNode d = docs.get(i);
      if (d.isObject()) {
        JsonNode text = d.get("text");
        if (text == null || !text.isTextual()) {
          throw new InvalidRequestException(
              "'documents[" + i + "]' is an object without a string 'text'");
        }
        d = text;
      }
      texts.add(d);
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.set("documents", texts);
    return out;
  }

  /** The answer: the {@code top_n} most relevant documents. */
  public static RerankList results(Rerankings r, RerankCall call) {
    List<String> docs = call.request().texts();
    List<RerankList.Result> results =
        r.ranked().stream()
            .limit(call.topN())
            .map(
                x ->
                    new RerankList.Result(
                        x.index(),
                        x.score(),
                        call.returnDocuments()
                            ? new RerankList.Document(docs.get(x.index()))
                            : null))
            .toList();
    int units = (docs.size() + DOCUMENTS_PER_SEARCH_UNIT - 1) / DOCUMENTS_PER_SEARCH_UNIT;
    return new RerankList(
        "rerank-" + UUID.randomUUID(),
        r.model(),
        results,
        new RerankList.Usage(r.promptTokens(), r.promptTokens()),
        new RerankList.Meta(new RerankList.BilledUnits(units)));
  }

  /** The {@code /v1/rerank} answer. */
  public record RerankList(String id, String model, List<Result> results, Usage usage, Meta meta) {
    /** One document's place. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(
        int index, @JsonProperty("relevance_score") float relevanceScore, Document document) {}

    /** A document returned with its result. */
    public record Document(String text) {}

    /** Tokens the model read over all pairs, after truncation. */
    public record Usage(
        @JsonProperty("prompt_tokens") int promptTokens,
        @JsonProperty("total_tokens") int totalTokens) {}

    /** Cohere's billing block. */
    public record Meta(@JsonProperty("billed_units") BilledUnits billedUnits) {}

    /** Search units: one per query and up to 100 documents. */
    public record BilledUnits(@JsonProperty("search_units") int searchUnits) {}
  }
}
