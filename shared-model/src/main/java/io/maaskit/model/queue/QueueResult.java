package io.maaskit.model.queue;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

/**
 * The result of one queue message, as written to the sinks. Serialized by Jackson (or {@link
 * #toJson()}) as
 *
 * <pre>{@code
 * {"id": "order-17", "message_id": "5fea7756-…", "task": "embed", "model": "all-minilm-l6-v2",
 *  "status": "ok", "duration_ms": 12, "embeddings": [[0.031, …]]}
 * }</pre>
 *
 * @param id the client's correlation id from the message's {@code "id"}, or null when it sent none
 *     (then omitted from the JSON)
 * @param messageId the queue's message id: the idempotency key and the result's object name
 * @param task the message's {@code "task"}
 * @param model the model name that served it
 * @param status {@code "ok"}
 * @param resultField name of the JSON field carrying {@code result}, e.g. {@code "embeddings"}
 * @param result the task's payload
 * @param millis time spent running the task (not queueing), in milliseconds
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "message_id", "task", "model", "status", "duration_ms"})
public record QueueResult(
    String id,
    @JsonProperty("message_id") String messageId,
    String task,
    String model,
    String status,
    @JsonIgnore String resultField,
    @JsonIgnore Object result,
    @JsonProperty("duration_ms") long millis) {

  /** Status of a result whose task ran. */
  public static final String OK = "ok";

  /** Field names of the envelope, which a task's payload field may not reuse. */
  static final Set<String> ENVELOPE =
      Set.of("id", "message_id", "task", "model", "status", "duration_ms");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The payload under its field name (Jackson writes it after the envelope fields). */
  @JsonAnyGetter
  public Map<String, Object> payload() {
    return java.util.Collections.singletonMap(resultField, result);
  }

  /** The result as UTF-8 JSON: the bytes every sink writes. */
  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "result of message " + messageId + " is not serializable: " + e.getOriginalMessage(), e);
    }
  }

  /** {@link #toJson()} as a string. */
  public String toJsonString() {
    return new String(toJson(), StandardCharsets.UTF_8);
  }
}
