package io.maaskit.functions.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * Sends a batch's steps as queue messages ({@code "task": "batch"}), one per chunk, for the queue
 * Lambda or the long-running workers: {@code {"task": "batch", "batch_id": "batch_…", "step":
 * "chunk", "chunk": 12}}. The queue's redelivery is what makes a step run at least once.
 */
public final class SqsDispatch implements Batches.Dispatch {
  private final SqsClient sqs;
  private final String queueUrl;
  private final ObjectMapper json;

  public SqsDispatch(SqsClient sqs, String queueUrl, ObjectMapper json) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
    this.json = json;
  }

  private String message(String batchId, String step, Integer chunk) {
    var m = json.createObjectNode().put("task", "batch").put("batch_id", batchId).put("step", step);
    if (chunk != null) {
      m.put("chunk", chunk);
    }
    return m.toString();
  }

  @Override
  public void validate(String batchId) {
    sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody(message(batchId, "validate", null)));
  }

  @Override
  public void chunks(String batchId, List<Integer> chunks) {
    for (int i = 0; i < chunks.size(); i += 10) {
      List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
      for (int k : chunks.subList(i, Math.min(chunks.size(), i + 10))) {
        entries.add(
            SendMessageBatchRequestEntry.builder()
                .id("c" + k)
                .messageBody(message(batchId, "chunk", k))
                .build());
      }
      SendMessageBatchResponse r = sqs.sendMessageBatch(b -> b.queueUrl(queueUrl).entries(entries));
      if (!r.failed().isEmpty()) {
        throw new IllegalStateException(
            "sending chunks of " + batchId + " failed: " + r.failed().get(0).message());
      }
    }
  }
}
