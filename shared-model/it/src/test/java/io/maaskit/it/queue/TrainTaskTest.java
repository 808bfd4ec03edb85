package io.maaskit.it.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.it.TestModels;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.queue.*;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.training.DatasetSource;
import io.maaskit.training.TrainTask;
import io.maaskit.training.TrainingJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The queue's {@code train} task: a training message publishes a new package version and answers
 * with its id and metrics; a job that cannot finish inside the limit is refused up front, saying
 * so, and a broken dataset is a permanent (DLQ-bound) error.
 */
class TrainTaskTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static TrainingJob job;
  static Path data;

  @BeforeAll
  static void setUp() throws Exception {
    TestModels.topicClassifier(); // also writes target/test-models/topics.jsonl
    data = TestModels.storeRoot().getParent().resolve("topics.jsonl");
    job =
        new TrainingJob(
            new LocalModelStore(TestModels.storeRoot()),
            EagerEngine.start(EngineOptions.defaults()),
            DatasetSource.local());
  }

  static JsonNode message(String name, String dataPath) throws Exception {
    return JSON.readTree(
        "{\"task\": \"train\", \"id\": \"job-1\", \"model\": \"all-minilm-l6-v2\", \"data\": \""
            + dataPath
            + "\", \"name\": \""
            + name
            + "\"}");
  }

  @Test
  void trainingMessagePublishesANewVersionWithMetrics() throws Exception {
    TaskOutput out =
        new TrainTask(job, Duration.ofMinutes(14)).run(message("queue-topics", data.toString()));
    assertEquals(QueueResult.OK, out.status());
    assertEquals("training", out.field());
    @SuppressWarnings("unchecked")
    Map<String, Object> training = (Map<String, Object>) out.value();
    assertTrue(((String) training.get("package")).startsWith("queue-topics@"), training.toString());
    assertNotNull(training.get("metrics"));
    assertTrue(
        Files.isRegularFile(
            TestModels.storeRoot()
                .resolve("queue-topics")
                .resolve("1")
                .resolve("maas-model.json")));
  }

  @Test
  void jobsThatCannotFinishInTimeAreRefusedSayingWhy() throws Exception {
    TaskOutput out =
        new TrainTask(job, Duration.ofMillis(1)).run(message("never-trained", data.toString()));
    assertEquals("refused", out.status());
    @SuppressWarnings("unchecked")
    Map<String, Object> refusal = (Map<String, Object>) out.value();
    assertTrue(((String) refusal.get("reason")).contains("over the limit"), refusal.toString());
    assertTrue(Files.notExists(TestModels.storeRoot().resolve("never-trained")));
  }

  @Test
  void brokenDatasetsArePermanentErrors() throws Exception {
    Path bad =
        Files.writeString(
            Files.createTempFile("bad", ".jsonl"),
            "{\"text\": \"ok\", \"label\": \"a\"}\nnot json\n");
    InvalidRequestException e =
        assertThrows(
            InvalidRequestException.class,
            () ->
                new TrainTask(job, Duration.ofMinutes(14))
                    .run(message("bad-data", bad.toString())));
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    assertThrows(
        InvalidRequestException.class,
        () ->
            new TrainTask(job, Duration.ofMinutes(14))
                .run(message("missing-data", "/no/such/file.jsonl")));
  }
}
