package io.maaskit.model.queue;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.task.Inputs;

/**
 * Runs one task named by a message's {@code "task"} field. Gets the whole message (a JSON object),
 * validates the fields it needs (throwing {@link io.maaskit.model.error.InvalidRequestException}
 * with a message naming the field) and returns the payload. Must be thread-safe.
 *
 * <pre>{@code
 * Map<String, TaskHandler> tasks = Map.of(
 *     "embed", TaskHandler.embed(embeddings),
 *     "classify", TaskHandler.classify(classifier),
 *     "train", msg -> new TaskOutput(model, "training", trainer.run(msg)));
 * }</pre>
 */
@FunctionalInterface
public interface TaskHandler {
  /**
   * Runs the task on a message; errors are typed {@link io.maaskit.model.error.ModelException}s.
   */
  TaskOutput run(JsonNode message);

  /**
   * {@code "embed"}: the message is a TEI {@code /embed} body ({@code inputs}, {@code normalize},
   * {@code model}), validated exactly as over HTTP; the result carries {@code "embeddings"}.
   */
  static TaskHandler embed(EmbeddingService service) {
    return message -> {
      float[][] vectors = service.embedTei(message);
      return new TaskOutput(
          Inputs.string(message, "model", service.defaultModel()), "embeddings", vectors);
    };
  }

  /**
   * {@code "classify"}: the message is a TEI {@code /predict} body ({@code inputs}, {@code model});
   * the result carries {@code "predictions"}: per input, every label with its score, highest first.
   */
  static TaskHandler classify(ClassificationService service) {
    return message -> {
      var predictions = service.predict(message);
      return new TaskOutput(
          Inputs.string(message, "model", service.defaultModel()), "predictions", predictions);
    };
  }
}
