package io.maaskit.functions;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.functions.protocol.TokenTasks;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.queue.TaskOutput;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.TokenClassificationService;
import io.maaskit.model.task.TokenEntities;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Queue task {@code "ner"}: the message carries the fields of {@code POST /predict} on a token
 * classifier ({@link TokenTasks#entitiesRequest}; without {@code model}, the default token
 * classifier); the result carries {@code "entities"} in the same shape.
 */
@Singleton
public class NerTaskProvider implements QueueTaskProvider {
  private final TokenClassificationService service;

  public NerTaskProvider(TokenClassificationService service) {
    this.service = service;
  }

  @Override
  public String name() {
    return "ner";
  }

  @Override
  public TaskHandler<JsonNode> handler(S3Client s3) {
    return message -> {
      TokenTasks.EntitiesCall call = TokenTasks.entitiesRequest(message, service.maxInputs());
      TokenEntities e = service.entities(call.request(), Cancellation.NONE);
      return new TaskOutput(e.model(), "entities", TokenTasks.entities(e, call));
    };
  }
}
