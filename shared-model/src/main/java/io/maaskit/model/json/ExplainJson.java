package io.maaskit.model.json;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.ExplainMethod;
import io.maaskit.model.task.ExplainRequest;
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
}
