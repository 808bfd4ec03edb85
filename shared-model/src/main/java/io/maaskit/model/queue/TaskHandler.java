package io.maaskit.model.queue;

import io.maaskit.model.task.Cancellation;

/**
 * Runs one task named by a message's {@code "task"}: gets the whole message as its {@link
 * MessageFormat} read it, binds the fields it needs (throwing {@link
 * io.maaskit.model.error.InvalidRequestException} with a message naming the field), calls a service
 * and returns the payload. Must be thread-safe. The kit's own tasks ({@code embed}, {@code
 * classify}, {@code explain}, {@code generate}, {@code rerank}) are bound in {@code functions/}.
 *
 * <pre>{@code
 * Map<String, TaskHandler<JsonNode>> tasks = Map.of(
 *     "train", msg -> new TaskOutput(model, "training", trainer.run(msg)));
 * }</pre>
 *
 * @param <M> the message's form (see {@link MessageFormat})
 */
@FunctionalInterface
public interface TaskHandler<M> {
  /**
   * Runs the task on a message; errors are typed {@link io.maaskit.model.error.ModelException}s.
   */
  TaskOutput run(M message);

  /**
   * Runs the task with a deadline: a task that honours it stops with {@link
   * io.maaskit.model.error.RequestCancelledException} (or is refused at once, when its work would
   * outlast it) and writes nothing; the message is then left for redelivery. By default the
   * cancellation is ignored.
   */
  default TaskOutput run(M message, Cancellation cancellation) {
    return run(message);
  }
}
