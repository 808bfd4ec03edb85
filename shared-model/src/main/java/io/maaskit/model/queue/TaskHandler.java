package io.maaskit.model.queue;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.json.ExplainJson;
import io.maaskit.model.json.GenerateJson;
import io.maaskit.model.json.JsonFields;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.ClassificationService;
import io.maaskit.model.task.Classifications;
import io.maaskit.model.task.ClassifyRequest;
import io.maaskit.model.task.EmbedRequest;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.task.Embeddings;
import io.maaskit.model.task.ExplainService;
import io.maaskit.model.task.Generation;
import io.maaskit.model.task.GenerationService;

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
   * Runs the task with a deadline: a task that honours it stops with {@link
   * io.maaskit.model.error.RequestCancelledException} (or is refused at once, when its work would
   * outlast it) and writes nothing; the message is then left for redelivery. By default the
   * cancellation is ignored.
   */
  default TaskOutput run(JsonNode message, Cancellation cancellation) {
    return run(message);
  }

  /**
   * {@code "embed"}: the message carries {@code inputs} (a string or an array of strings), optional
   * {@code normalize} (default true) and {@code model}, validated as over HTTP's {@code /embed};
   * the result carries {@code "embeddings"}.
   */
  static TaskHandler embed(EmbeddingService service) {
    return message -> {
      Embeddings e =
          service.embed(
              new EmbedRequest(
                  JsonFields.string(message, "model", null),
                  JsonFields.texts(message, "inputs", service.maxInputs()),
                  JsonFields.bool(message, "normalize", true),
                  null));
      return new TaskOutput(e.model(), "embeddings", e.vectors());
    };
  }

  /**
   * {@code "classify"}: the message carries {@code inputs} and optional {@code model}; the result
   * carries {@code "predictions"}: per input, every label with its score, highest first.
   */
  static TaskHandler classify(ClassificationService service) {
    return message -> {
      Classifications c =
          service.classify(
              new ClassifyRequest(
                  JsonFields.string(message, "model", null),
                  JsonFields.texts(message, "inputs", service.maxInputs())));
      return new TaskOutput(c.model(), "predictions", c.predictions());
    };
  }

  /**
   * {@code "explain"}: the message carries the fields of {@code POST /explain} ({@link
   * ExplainJson#explain}); the result carries {@code "explanations"}: per input, the label, its
   * score, the method, the tokens with spans and attributions, and the completeness gap; or, for a
   * generator's {@code prompt}/{@code messages}, one explanation of the completion.
   */
  static TaskHandler explain(ExplainService service) {
    return message -> {
      ExplainJson.Answer a = ExplainJson.explain(service, message, Cancellation.NONE);
      return new TaskOutput(a.model(), "explanations", a.body());
    };
  }

  /**
   * {@code "generate"}: the message carries the fields of {@code POST /v1/chat/completions} (with
   * {@code messages}) or {@code POST /v1/completions} (with {@code prompt}), validated by the same
   * code ({@link GenerateJson}); {@code stream} is ignored. The result carries {@code
   * "generation"}: the choices' text and finish reasons, and the token usage. It honours the
   * delivery's deadline (the Lambda's remaining time, the worker's visibility budget).
   */
  static TaskHandler generate(GenerationService service) {
    return new TaskHandler() {
      @Override
      public TaskOutput run(JsonNode message) {
        return run(message, Cancellation.NONE);
      }

      @Override
      public TaskOutput run(JsonNode message, Cancellation cancellation) {
        Generation g = service.generate(GenerateJson.message(message).request(), cancellation);
        return new TaskOutput(g.model(), "generation", GenerateJson.result(g));
      }
    };
  }
}
