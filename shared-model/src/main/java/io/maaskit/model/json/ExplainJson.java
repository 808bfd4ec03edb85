package io.maaskit.model.json;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.task.ExplainMethod;
import io.maaskit.model.task.ExplainRequest;

/** The kit's own {@code /explain} request shape, shared by the HTTP binding and the queue task. */
public final class ExplainJson {
  private ExplainJson() {}

  /**
   * The kit's own JSON shape, the same over HTTP ({@code POST /explain}) and the queue (task {@code
   * explain}): {@code {"inputs": "text" | [...], "model": "...", "method": "integrated_gradients" |
   * "gradient_x_input" | "attention_rollout", "label": "...", "steps": 64, "aggregate": "token" |
   * "word"}}, every field but {@code inputs} optional.
   */
  public static ExplainRequest request(JsonNode body, int maxInputs) {
    JsonFields.object(body);
    String method = JsonFields.string(body, "method", null);
    String aggregate = JsonFields.string(body, "aggregate", "token");
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
        aggregate.equals("word"));
  }
}
