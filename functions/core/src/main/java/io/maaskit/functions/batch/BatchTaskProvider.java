package io.maaskit.functions.batch;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.functions.QueueTaskProvider;
import io.maaskit.functions.protocol.JsonFields;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.queue.TaskOutput;
import io.maaskit.model.task.Cancellation;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The queue task {@code "batch"}: one step of a batch ({@code "step": "validate"} or {@code
 * "chunk"} with {@code "chunk": k}) for the queue Lambda and the long-running workers alike. A step
 * stopped by the delivery's deadline writes nothing and throws, so the message is redelivered.
 */
@Singleton
public class BatchTaskProvider implements QueueTaskProvider {
  private final BatchServices services;

  public BatchTaskProvider(BatchServices services) {
    this.services = services;
  }

  @Override
  public String name() {
    return "batch";
  }

  @Override
  public TaskHandler<JsonNode> handler(S3Client s3) {
    return new TaskHandler<>() {
      @Override
      public TaskOutput run(JsonNode message) {
        return run(message, Cancellation.NONE);
      }

      @Override
      public TaskOutput run(JsonNode message, Cancellation cancellation) {
        return step(message, cancellation);
      }
    };
  }

  /** Runs the step a message names, on this process's batches. */
  public TaskOutput step(JsonNode message, Cancellation cancellation) {
    return step(services.batches(), message, cancellation);
  }

  /** Runs the step a message names on {@code batches}. */
  public static TaskOutput step(Batches batches, JsonNode message, Cancellation cancellation) {
    String id = JsonFields.string(message, "batch_id", null);
    String step = JsonFields.string(message, "step", null);
    if (id == null || step == null) {
      throw new InvalidRequestException("a batch message needs 'batch_id' and 'step'");
    }
    Map<String, Object> done = new LinkedHashMap<>();
    done.put("batch_id", id);
    done.put("step", step);
    switch (step) {
      case "validate" -> batches.validate(id);
      case "chunk" -> {
        JsonNode k = message.get("chunk");
        if (k == null || !k.canConvertToInt() || k.asInt() < 0) {
          throw new InvalidRequestException("'chunk' must be a chunk number");
        }
        batches.runChunk(id, k.asInt(), cancellation);
        done.put("chunk", k.asInt());
      }
      default ->
          throw new InvalidRequestException(
              "'step' must be 'validate' or 'chunk', not '" + step + "'");
    }
    return new TaskOutput(null, "batch", done);
  }
}
