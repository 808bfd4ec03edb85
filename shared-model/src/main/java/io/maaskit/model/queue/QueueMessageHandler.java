package io.maaskit.model.queue;

import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.task.Cancellation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Reads and runs one queue message and writes its result; the piece every queue adapter shares. The
 * adapter's {@link MessageFormat} reads the body (the kit's JSON, bound in {@code functions/}):
 *
 * <pre>{@code
 * {"id": "order-17", "task": "embed", "model": "all-minilm-l6-v2", "inputs": ["a", "b"], "normalize": true}
 * }</pre>
 *
 * {@code task} picks a {@link TaskHandler}; {@code id} (optional) is echoed in the result for the
 * client's correlation; the rest is the task's (for {@code embed} and {@code classify}, exactly the
 * HTTP bodies, bound by the same code).
 *
 * <p>Idempotent by message id: when the sink already has a result for it, {@link #handle} returns
 * {@link Outcome.Kind#DUPLICATE} without running anything, so the caller deletes the message as
 * done. A delivery of a message that this handler is still running elsewhere in the process is
 * refused with {@link ModelUnavailableException}, so it is retried later rather than run twice.
 *
 * <p>Any exception means "not done": leave the message on the queue (a Lambda reports it as a batch
 * item failure). {@link InvalidRequestException} and {@link
 * io.maaskit.model.error.ModelNotFoundException} are permanent, and the queue's redrive policy
 * moves the message to the dead-letter queue; {@link ModelUnavailableException} and I/O errors are
 * transient.
 *
 * <pre>{@code
 * QueueMessageHandler<JsonNode> handler = new QueueMessageHandler<>(format, tasks, sink, errors);
 * QueueMessageHandler.Outcome o = handler.handle(record.getMessageId(), record.getBody());
 * }</pre>
 */
public final class QueueMessageHandler<M> {
  private final MessageFormat<M> format;
  private final Map<String, TaskHandler<M>> tasks;
  private final ResultSink sink;
  private final ErrorResults errors;
  private final String taskNames;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  /** What became of a message. */
  public record Outcome(Kind kind, String messageId, QueueResult result) {
    /**
     * {@code WRITTEN}: the task ran and its result was written; {@code DUPLICATE}: a result already
     * existed.
     */
    public enum Kind {
      WRITTEN,
      DUPLICATE
    }
  }

  /**
   * Which failures are permanent, and the error a result reports for them: the adapter's one error
   * mapping (a client error, or a feature this deployable lacks, cannot succeed on a retry).
   */
  @FunctionalInterface
  public interface ErrorResults {
    /** The error to write as the message's result, or null to leave the message for a retry. */
    Object permanent(RuntimeException failure);

    /** Every failure leaves the message (for the redrive policy's dead-letter queue). */
    ErrorResults NONE = failure -> null;
  }

  /** Status of a result that reports a permanent error ({@code "error"} field). */
  public static final String ERROR = "error";

  /**
   * @param format reads message bodies and writes results
   * @param tasks task name (the message's {@code "task"}) to its handler
   * @param sink where results go, and the idempotency record
   * @param errors the failures written as error results (the message is then done); any other
   *     failure leaves the message for redelivery
   */
  public QueueMessageHandler(
      MessageFormat<M> format,
      Map<String, TaskHandler<M>> tasks,
      ResultSink sink,
      ErrorResults errors) {
    this.format = format;
    this.errors = errors;
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("a queue handler needs at least one task");
    }
    this.tasks = Map.copyOf(tasks);
    this.sink = sink;
    this.taskNames =
        new TreeMap<>(tasks)
            .keySet().stream().map(t -> "\"" + t + "\"").collect(Collectors.joining(", "));
  }

  /** The sink results go to. */
  public ResultSink sink() {
    return sink;
  }

  /**
   * Handles one delivery.
   *
   * @param messageId the queue's message id (SQS {@code MessageId}), the idempotency key
   * @param body the message body
   * @throws InvalidRequestException the message is malformed; the message says what to fix
   * @throws io.maaskit.model.error.ModelException other typed errors of the task
   * @throws UncheckedIOException the sink could not be read or written
   */
  public Outcome handle(String messageId, String body) {
    return handle(messageId, body, Cancellation.NONE);
  }

  /**
   * Handles one delivery within a deadline: a task that honours it and cannot finish in time throws
   * (nothing is written, the message is redelivered); a permanent failure (see {@link
   * ErrorResults}) is written as an {@code "error"} result and the message is done.
   */
  public Outcome handle(String messageId, String body, Cancellation deadline) {
    if (messageId == null || messageId.isBlank()) {
      throw new IllegalArgumentException("message id is empty");
    }
    if (!inFlight.add(messageId)) {
      throw new ModelUnavailableException(
          "message "
              + messageId
              + " is already being processed here; this delivery will be retried",
          Duration.ofSeconds(5));
    }
    try {
      if (sink.has(messageId)) {
        return new Outcome(Outcome.Kind.DUPLICATE, messageId, null);
      }
      long t0 = System.nanoTime();
      String id = null;
      String task = null;
      QueueResult result;
      try {
        MessageFormat.Message<M> message = format.read(body);
        id = message.id();
        task = message.task();
        if (task == null) {
          throw new InvalidRequestException("'task' is required: one of " + taskNames);
        }
        TaskHandler<M> handler = tasks.get(task);
        if (handler == null) {
          throw new InvalidRequestException(
              "'task' must be one of " + taskNames + ", got \"" + task + "\"");
        }
        TaskOutput out = handler.run(message.body(), deadline);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        result =
            new QueueResult(
                id, messageId, task, out.model(), out.status(), out.field(), out.value(), millis);
      } catch (RuntimeException e) {
        Object error = errors.permanent(e);
        if (error == null) {
          throw e;
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        result = new QueueResult(id, messageId, task, null, ERROR, "error", error, millis);
      }
      sink.write(messageId, format.write(result));
      return new Outcome(Outcome.Kind.WRITTEN, messageId, result);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      inFlight.remove(messageId);
    }
  }
}
