package io.maaskit.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.queue.TaskOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code train} queue task: a training request ({@code {"task": "train", "model", "data",
 * "name", "hyperparameters": {...}}}) runs a {@link TrainingJob} that publishes a new package
 * version; the result carries the package id and its metrics. A job whose estimate does not fit the
 * time limit (Lambda's 15 minutes, less a margin) is refused up front: the result has status {@code
 * refused} and says why and what to change, and the message is not retried.
 */
public final class TrainTask implements TaskHandler<JsonNode> {
  private static final Logger LOG = LoggerFactory.getLogger(TrainTask.class);
  private final TrainingJob job;
  private final Duration limit;

  /**
   * @param job the training job (store, runtime, dataset sources)
   * @param limit longest job accepted; jobs estimated above it are refused
   */
  public TrainTask(TrainingJob job, Duration limit) {
    this.job = job;
    this.limit = limit;
  }

  @Override
  public TaskOutput run(JsonNode message) {
    ObjectNode request = ((ObjectNode) message).deepCopy();
    request.remove("task");
    request.remove("id");
    TrainingRequest req = TrainingRequest.fromJson(request);
    try {
      Estimate estimate = job.estimate(req);
      if (!estimate.fitsWithin(limit)) {
        Map<String, Object> refusal = new LinkedHashMap<>();
        refusal.put(
            "reason",
            "estimated "
                + estimate.describe()
                + ", over the limit of "
                + limit.toSeconds()
                + " s; use fewer examples, fewer epochs, a smaller maxLength or a frozen encoder, or run scripts/train"
                + " on a container or your machine");
        refusal.put("estimated_seconds", Math.round(estimate.totalSeconds()));
        refusal.put("limit_seconds", limit.toSeconds());
        LOG.warn("training request for {} refused: {}", req.name(), refusal.get("reason"));
        return new TaskOutput(req.model(), "refusal", refusal, "refused");
      }
      TrainingResult r =
          job.run(
              req,
              new TrainingProgress() {
                @Override
                public void epoch(EpochStats stats) {
                  LOG.info("training {}: {}", req.name(), stats);
                }
              });
      Map<String, Object> training = new LinkedHashMap<>();
      training.put("package", r.manifest().id().toString());
      training.put("store", r.storeUri());
      training.put("seconds", Math.round(r.totalSeconds()));
      training.put("metrics", r.manifest().metrics());
      return new TaskOutput(req.model(), "training", training);
    } catch (io.maaskit.training.DatasetFormatException | java.nio.file.NoSuchFileException e) {
      // The dataset will not get better by retrying: a permanent, caller-side error.
      throw new io.maaskit.model.error.InvalidRequestException(
          "dataset problem: " + e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
