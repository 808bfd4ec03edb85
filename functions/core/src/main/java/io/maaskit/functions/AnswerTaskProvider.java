package io.maaskit.functions;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.functions.protocol.TokenTasks;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.queue.TaskOutput;
import io.maaskit.model.task.AnswerRequest;
import io.maaskit.model.task.Answers;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.QuestionAnsweringService;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Queue task {@code "answer"}: the message carries the fields of {@code POST /answer} ({@link
 * TokenTasks#answerRequest}); the result carries {@code "answer"} in the same shape (a list when
 * {@code top_k} > 1).
 */
@Singleton
public class AnswerTaskProvider implements QueueTaskProvider {
  private final QuestionAnsweringService service;

  public AnswerTaskProvider(QuestionAnsweringService service) {
    this.service = service;
  }

  @Override
  public String name() {
    return "answer";
  }

  @Override
  public TaskHandler<JsonNode> handler(S3Client s3) {
    return message -> {
      AnswerRequest request = TokenTasks.answerRequest(message);
      Answers a = service.answer(request, Cancellation.NONE);
      return new TaskOutput(a.model(), "answer", TokenTasks.answers(a, request));
    };
  }
}
