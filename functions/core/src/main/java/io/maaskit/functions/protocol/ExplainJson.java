package io.maaskit.functions.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.CompletionExplainRequest;
import io.maaskit.model.task.CompletionExplanation;
import io.maaskit.model.task.ExplainMethod;
import io.maaskit.model.task.ExplainRequest;
import io.maaskit.model.task.ExplainService;
import io.maaskit.model.task.Explanations;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kit's own {@code /explain} request and response shapes, shared by the HTTP binding and the
 * queue task so both speak the same JSON.
 */
public final class ExplainJson {
  private ExplainJson() {}

  /**
   * The kit's own JSON shape, the same over HTTP ({@code POST /explain}) and the queue (task {@code
   * explain}): {@code {"inputs": "text" | [...], "model": "...", "method": "integrated_gradients" |
   * "gradient_x_input" | "attention_rollout" | "occlusion", "label": "...", "steps": 64,
   * "aggregate": "token" | "word"}}, every field but {@code inputs} optional (no {@code method}:
   * the service picks by how the model is served).
   */
  public static ExplainRequest request(JsonNode body, int maxInputs) {
    JsonFields.object(body);
    String method = JsonFields.string(body, "method", null);
    String aggregate = JsonFields.string(body, "aggregate", "token");
    String target = JsonFields.string(body, "target", "label");
    if (!target.equals("label") && !target.equals("similarity")) {
      throw new InvalidRequestException(
          "'target' must be label (a classifier's decision) or similarity (two texts under an"
              + " embedding model), not '"
              + target
              + "'");
    }
    if (!aggregate.equals("token") && !aggregate.equals("word")) {
      throw new InvalidRequestException(
          "'aggregate' must be token or word, not '" + aggregate + "'");
    }
    return new ExplainRequest(
        JsonFields.string(body, "model", null),
        JsonFields.texts(body, "inputs", maxInputs),
        method == null ? null : ExplainMethod.parse(method),
        JsonFields.string(body, "label", null),
        JsonFields.integer(body, "steps", null),
        aggregate.equals("word"),
        target.equals("similarity"));
  }

  /**
   * The response shape: per input {@code {"label", "score", "method", "tokens": [{"token", "start",
   * "end", "attribution"}], "completeness_gap"}} ({@code completeness_gap} null for methods other
   * than Integrated Gradients).
   */
  public static List<Map<String, Object>> response(Explanations e) {
    List<Map<String, Object>> out = new ArrayList<>(e.explanations().size());
    for (Explanations.Explanation x : e.explanations()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("label", x.label());
      row.put("score", x.score());
      row.put("method", x.method());
      List<Map<String, Object>> tokens = new ArrayList<>(x.tokens().size());
      for (Explanations.TokenAttribution t : x.tokens()) {
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("token", t.token());
        tok.put("start", t.start());
        tok.put("end", t.end());
        tok.put("attribution", t.attribution());
        tokens.add(tok);
      }
      row.put("tokens", tokens);
      row.put("completeness_gap", x.completenessGap());
      out.add(row);
    }
    return out;
  }

  /**
   * What {@code /explain} answers, for either kind of body.
   *
   * @param model the model that served it
   * @param body per input an explanation ({@link #response(Explanations)}), or for a generator's
   *     completion one element ({@link #response(CompletionExplanation)})
   */
  public record Answer(String model, List<Map<String, Object>> body) {}

  /**
   * Answers a {@code /explain} body: a generator's completion when it has {@code prompt} or {@code
   * messages}, else a classifier's (or encoder's) decision on {@code inputs}.
   */
  public static Answer explain(ExplainService service, JsonNode body, Cancellation cancellation) {
    if (isCompletion(body)) {
      CompletionExplanation e = service.explainCompletion(completionRequest(body), cancellation);
      return new Answer(e.model(), List.of(response(e)));
    }
    Explanations e = service.explain(request(body, service.maxInputs()), cancellation);
    return new Answer(e.model(), response(e));
  }

  /**
   * Whether a body asks to explain generated text: it has {@code prompt} or {@code messages} (a
   * classifier's request has {@code inputs}).
   */
  public static boolean isCompletion(JsonNode body) {
    return body != null
        && body.isObject()
        && (body.has("prompt") || body.has("messages") || body.has("completion"));
  }

  /**
   * The request to explain a generator's completion: {@code {"model": "...", "prompt": "..." |
   * "messages": [{"role", "content"}, ...], "completion": "...", "max_tokens": 32, "method":
   * "integrated_gradients" | "occlusion", "steps": 64, "per_token": false}}; without {@code
   * completion} the model's greedy completion (at most {@code max_tokens}) is explained.
   */
  public static CompletionExplainRequest completionRequest(JsonNode body) {
    JsonFields.object(body);
    if (body.has("inputs")) {
      throw new InvalidRequestException(
          "give either 'inputs' (texts for a classifier) or 'prompt'/'messages' (a generator's"
              + " prompt), not both");
    }
    if (body.has("prompt") && body.has("messages")) {
      throw new InvalidRequestException("give either 'prompt' or 'messages', not both");
    }
    String method = JsonFields.string(body, "method", null);
    return new CompletionExplainRequest(
        JsonFields.string(body, "model", null),
        body.has("prompt") ? JsonFields.string(body, "prompt", null) : null,
        body.has("messages") ? GenerateJson.messages(body) : null,
        JsonFields.string(body, "completion", null),
        JsonFields.integer(body, "max_tokens", null),
        method == null ? null : ExplainMethod.parse(method),
        JsonFields.integer(body, "steps", null),
        JsonFields.bool(body, "per_token", false));
  }

  /**
   * The response to a completion request: {@code {"model", "method", "completion", "logprob",
   * "baseline_token", "baseline_logprob", "completeness_gap", "prompt_tokens": [{"id", "token",
   * "special", "attribution"}], "completion_tokens": [{"id", "token", "logprob"}], "per_token":
   * [[...]]}} ({@code baseline_*} and {@code completeness_gap} null for occlusion, {@code
   * per_token} only when asked).
   */
  public static Map<String, Object> response(CompletionExplanation e) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("model", e.model());
    row.put("method", e.method());
    row.put("completion", e.completion());
    row.put("logprob", e.logprob());
    row.put("baseline_token", e.baselineToken());
    row.put("baseline_logprob", e.baselineLogprob());
    row.put("completeness_gap", e.completenessGap());
    List<Map<String, Object>> prompt = new ArrayList<>(e.promptTokens().size());
    for (CompletionExplanation.PromptToken t : e.promptTokens()) {
      Map<String, Object> tok = new LinkedHashMap<>();
      tok.put("id", t.id());
      tok.put("token", t.token());
      tok.put("special", t.special());
      tok.put("attribution", t.attribution());
      prompt.add(tok);
    }
    row.put("prompt_tokens", prompt);
    List<Map<String, Object>> completion = new ArrayList<>(e.completionTokens().size());
    for (CompletionExplanation.CompletionToken t : e.completionTokens()) {
      Map<String, Object> tok = new LinkedHashMap<>();
      tok.put("id", t.id());
      tok.put("token", t.token());
      tok.put("logprob", t.logprob());
      completion.add(tok);
    }
    row.put("completion_tokens", completion);
    if (e.perToken() != null) {
      row.put("per_token", e.perToken());
    }
    return row;
  }
}
