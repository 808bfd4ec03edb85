package io.maaskit.functions.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.ClassifyRequest;
import io.maaskit.model.task.EmbedRequest;
import io.maaskit.model.task.RerankRequest;
import io.maaskit.model.task.Rerankings;
import java.util.List;

/**
 * Hugging Face Text Embeddings Inference shapes: {@code POST /embed}, {@code POST /predict} and
 * {@code POST /rerank} bodies to the core's records, with 400 messages that name the field.
 */
public final class Tei {
  private Tei() {}

  /** {@code /embed}: {@code {"inputs": "text" | [...], "normalize": true, "model": "..."}}. */
  public static EmbedRequest embedRequest(JsonNode body, int maxInputs) {
    JsonFields.object(body);
    return new EmbedRequest(
        JsonFields.string(body, "model", null),
        JsonFields.texts(body, "inputs", maxInputs),
        JsonFields.bool(body, "normalize", true),
        null);
  }

  /** {@code /predict}: {@code {"inputs": "text" | [...], "model": "..."}}. */
  public static ClassifyRequest classifyRequest(JsonNode body, int maxInputs) {
    JsonFields.object(body);
    return new ClassifyRequest(
        JsonFields.string(body, "model", null), JsonFields.texts(body, "inputs", maxInputs));
  }

  /** A bound {@code /rerank} request and how its answer is shaped. */
  public record RerankCall(RerankRequest request, boolean rawScores, boolean returnText) {}

  /**
   * {@code /rerank}: {@code {"query": "...", "texts": [...], "truncate": false, "raw_scores":
   * false, "return_text": false, "model": "..."}}.
   */
  public static RerankCall rerankRequest(JsonNode body, int maxInputs) {
    JsonFields.object(body);
    return new RerankCall(
        new RerankRequest(
            JsonFields.string(body, "model", null),
            query(body),
            JsonFields.texts(body, "texts", maxInputs),
            JsonFields.bool(body, "truncate", false)),
        JsonFields.bool(body, "raw_scores", false),
        JsonFields.bool(body, "return_text", false));
  }

  /** The required, non-empty {@code query} of a rerank body (TEI's and Cohere's alike). */
  public static String query(JsonNode body) {
    String query = JsonFields.string(body, "query", null);
    if (query == null || query.isEmpty()) {
      throw new InvalidRequestException("'query' is required: a non-empty string");
    }
    return query;
  }

  /** {@code /rerank}'s answer: every text, most relevant first. */
  public static List<Rank> ranks(Rerankings r, RerankCall call) {
    List<String> texts = call.request().texts();
    return r.ranked().stream()
        .map(
            x ->
                new Rank(
                    x.index(),
                    call.rawScores() ? x.logit() : x.score(),
                    call.returnText() ? texts.get(x.index()) : null))
        .toList();
  }

  /** One text's place: its index in the request, its score, its text when asked for. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Rank(int index, float score, String text) {}
}
