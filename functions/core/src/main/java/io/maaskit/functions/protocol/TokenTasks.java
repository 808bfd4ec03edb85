package io.maaskit.functions.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.AggregationStrategy;
import io.maaskit.model.task.AnswerRequest;
import io.maaskit.model.task.Answers;
import io.maaskit.model.task.Entity;
import io.maaskit.model.task.TokenClassifyRequest;
import io.maaskit.model.task.TokenEntities;
import java.util.List;

/**
 * The shapes of Hugging Face's token-classification and question-answering pipelines: {@code POST
 * /predict} on a token classifier ({@code inputs}, {@code aggregation_strategy}, {@code stride},
 * also inside {@code parameters} as the Inference API sends them) answered with entities named as
 * the pipeline names them, and {@code POST /answer} ({@code question}, {@code context}, {@code
 * top_k}, {@code max_answer_len}, {@code handle_impossible_answer}, {@code doc_stride}, or {@code
 * inputs: {question, context}}) answered with {@code {answer, score, start, end}}, a list when
 * {@code top_k} > 1.
 */
public final class TokenTasks {
  private TokenTasks() {}

  /** A bound token-classification request and whether one text (not a list) was sent. */
  public record EntitiesCall(TokenClassifyRequest request, boolean single) {}

  /**
   * {@code {"inputs": "text" | [...], "aggregation_strategy": "none", "stride": 16, "model":
   * "..."}}.
   */
  public static EntitiesCall entitiesRequest(JsonNode body, int maxInputs) {
    JsonFields.object(body);
    JsonNode options = body.has("parameters") ? JsonFields.object(body.get("parameters")) : body;
    String strategy = JsonFields.string(options, "aggregation_strategy", "none");
    return new EntitiesCall(
        new TokenClassifyRequest(
            JsonFields.string(body, "model", null),
            JsonFields.texts(body, "inputs", maxInputs),
            AggregationStrategy.of(strategy),
            JsonFields.integer(options, "stride", null)),
        body.path("inputs").isTextual());
  }

  /** The entities: one list for one text, a list per text for a list. */
  public static Object entities(TokenEntities e, EntitiesCall call) {
    List<List<EntityOut>> out =
        e.entities().stream().map(l -> l.stream().map(TokenTasks::entity).toList()).toList();
    return call.single() ? out.get(0) : out;
  }

  private static EntityOut entity(Entity e) {
    return new EntityOut(
        e.grouped() ? null : e.label(),
        e.grouped() ? e.label() : null,
        e.score(),
        e.index(),
        e.word(),
        e.start(),
        e.end());
  }

  /**
   * One entity: {@code entity} and {@code index} for a token ({@code aggregation_strategy: none}),
   * {@code entity_group} for a group.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"entity", "entity_group", "score", "index", "word", "start", "end"})
  public record EntityOut(
      String entity,
      @JsonProperty("entity_group") String entityGroup,
      float score,
      Integer index,
      String word,
      int start,
      int end) {}

  /**
   * {@code /answer}: {@code {"question": "...", "context": "...", "top_k": 1, "max_answer_len": 15,
   * "handle_impossible_answer": false, "doc_stride": 128, "model": "..."}}; {@code question} and
   * {@code context} may also come as {@code inputs: {question, context}}.
   */
  public static AnswerRequest answerRequest(JsonNode body) {
    JsonFields.object(body);
    JsonNode pair = body.has("inputs") ? JsonFields.object(body.get("inputs")) : body;
    String question = JsonFields.string(pair, "question", null);
    String context = JsonFields.string(pair, "context", null);
    if (question == null || question.isBlank()) {
      throw new InvalidRequestException("'question' is required: a non-empty string");
    }
    if (context == null || context.isBlank()) {
      throw new InvalidRequestException(
          "'context' is required: the text the answer is taken from (a non-empty string)");
    }
    return new AnswerRequest(
        JsonFields.string(body, "model", null),
        question,
        context,
        JsonFields.integer(body, "top_k", 1),
        JsonFields.integer(body, "max_answer_len", AnswerRequest.DEFAULT_MAX_ANSWER_LENGTH),
        JsonFields.bool(body, "handle_impossible_answer", false),
        JsonFields.integer(body, "doc_stride", null));
  }

  /** The answer, or a list of answers when more than one was asked for. */
  public static Object answers(Answers a, AnswerRequest request) {
    List<AnswerOut> out =
        a.answers().stream()
            .map(x -> new AnswerOut(x.text(), x.score(), x.start(), x.end()))
            .toList();
    return request.topK() > 1 ? out : out.get(0);
  }

  /** One answer: a span of the context ({@code ""} at 0..0 for "no answer"). */
  @JsonPropertyOrder({"answer", "score", "start", "end"})
  public record AnswerOut(String answer, float score, int start, int end) {}
}
