package io.maaskit.functions.queue;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.maaskit.model.task.Cancellation;
import io.quarkus.funqy.lambda.FunqyStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/**
 * The queue function's Lambda handler (the templates name {@code
 * io.maaskit.functions.queue.SqsHandler::handleRequest}): Funqy's handler, which runs {@link
 * SqsFunction} per record, with the invocation's remaining time noted first, so that each record's
 * work gets a deadline (Funqy does not hand the Lambda {@link Context} to a function). One
 * execution environment runs one invocation at a time, so one process-wide value suffices.
 */
public class SqsHandler implements RequestStreamHandler {
  /** Time kept back from the invocation's end to report the batch's failures. */
  static final Duration MARGIN = Duration.ofSeconds(1);

  private static volatile long deadlineNanos;
  private static volatile boolean hasDeadline;

  private final FunqyStreamHandler funqy = new FunqyStreamHandler();

  @Override
  public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
    int ms = context == null ? 0 : context.getRemainingTimeInMillis();
    // A remaining time of 0 or less is no real invocation's.
    hasDeadline = ms > 0;
    deadlineNanos = System.nanoTime() + Duration.ofMillis(ms).minus(MARGIN).toNanos();
    try {
      funqy.handleRequest(in, out, context);
    } finally {
      hasDeadline = false;
    }
  }

  /** The running invocation's deadline, or none outside an invocation through this handler. */
  static Cancellation deadline() {
    if (!hasDeadline) {
      return Cancellation.NONE;
    }
    return Cancellation.deadline(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())));
  }
}
