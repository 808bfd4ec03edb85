package io.maaskit.functions.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.json.JsonFields;
import io.maaskit.model.task.ClassifyRequest;
import io.maaskit.model.task.EmbedRequest;

/**
 * Hugging Face Text Embeddings Inference request shapes: {@code POST /embed} and {@code POST
 * /predict} bodies to the core's records, with 400 messages that name the field.
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
}
