package io.maaskit.functions.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.queue.MessageFormat;
import io.maaskit.model.queue.QueueResult;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.queue.TaskOutput;
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
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The kit's queue messages and results in JSON: a message is an object
 *
 * <pre>{@code
 * {"id": "order-17", "task": "embed", "model": "all-minilm-l6-v2", "inputs": ["a", "b"], "normalize": true}
 * }</pre>
 *
 * and a result {@code {"id", "message_id", "task", "model", "status", "duration_ms", <field>:
 * <payload>}} (null envelope fields left out). The tasks' bodies are the HTTP bodies, bound by the
 * same code, so a bad field gets the same message whichever way it arrived. Reads and writes with
 * the mapper every HTTP body goes through.
 */
public final class QueueJson implements MessageFormat<JsonNode> {
  private final ObjectMapper json;

  /**
   * @param json the one configured mapper (see {@link io.maaskit.functions.StrictJson})
   */
  public QueueJson(ObjectMapper json) {
    this.json = json;
  }

  @Override
  public Message<JsonNode> read(String body) {
    if (body == null || body.isBlank()) {
      throw new InvalidRequestException(
          "message body is empty: send a JSON object with \"task\" and \"inputs\"");
    }
    JsonNode message;
    try {
      message = JsonFields.object(json.readTree(body));
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      throw new InvalidRequestException(
          "message body is not valid JSON" + where + ": " + e.getOriginalMessage());
    }
    String id = JsonFields.string(message, "id", null);
    return new Message<>(id, JsonFields.string(message, "task", null), message);
  }

  @Override
  public byte[] write(QueueResult r) {
    Map<String, Object> out = new LinkedHashMap<>();
    put(out, "id", r.id());
    put(out, "message_id", r.messageId());
    put(out, "task", r.task());
    put(out, "model", r.model());
    put(out, "status", r.status());
    out.put("duration_ms", r.millis());
    out.put(r.resultField(), r.result());
    try {
      return json.writeValueAsBytes(out);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "result of message " + r.messageId() + " is not serializable: " + e.getOriginalMessage(),
          e);
    }
  }

  private static void put(Map<String, Object> out, String field, Object value) {
    if (value != null) {
      out.put(field, value);
    }
  }

  /**
   * {@code "embed"}: the message carries {@code inputs} (a string or an array of strings), optional
   * {@code normalize} (default true) and {@code model}, bound as over HTTP's {@code /embed}; the
   * result carries {@code "embeddings"}.
   */
  public static TaskHandler<JsonNode> embed(EmbeddingService service) {
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
  public static TaskHandler<JsonNode> classify(ClassificationService service) {
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
  public static TaskHandler<JsonNode> explain(ExplainService service) {
    return message -> {
      ExplainJson.Answer a = ExplainJson.explain(service, message, Cancellation.NONE);
      return new TaskOutput(a.model(), "explanations", a.body());
    };
  }

  /**
   * {@code "generate"}: the message carries the fields of {@code POST /v1/chat/completions} (with
   * {@code messages}) or {@code POST /v1/completions} (with {@code prompt}), bound by the same code
   * ({@link GenerateJson}); {@code stream} is ignored. The result carries {@code "generation"}: the
   * choices' text and finish reasons, and the token usage. It honours the delivery's deadline (the
   * Lambda's remaining time, the worker's visibility budget).
   */
  public static TaskHandler<JsonNode> generate(GenerationService service) {
    return new TaskHandler<>() {
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
