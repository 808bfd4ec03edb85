package io.maaskit.functions;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.queue.TaskHandler;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A queue task that a deployable adds to the core's {@code embed} and {@code classify}: a CDI bean
 * in that deployable's module. The long-running server contributes {@code train}; the Lambda zips
 * contribute nothing, so a {@code train} message there is refused as an unknown task.
 */
public interface QueueTaskProvider {
  /** The message's {@code "task"} value. */
  String name();

  /**
   * Builds the handler once per process.
   *
   * @param s3 the results' S3 client, or null when results go only to a queue
   */
  TaskHandler<JsonNode> handler(S3Client s3);
}
