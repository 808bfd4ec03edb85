package io.maaskit.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.error.InvalidRequestException;
import org.junit.jupiter.api.Test;

class TrainingRequestTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static String error(String body) {
    return assertThrows(
            InvalidRequestException.class, () -> TrainingRequest.fromJson(JSON.readTree(body)))
        .getMessage();
  }

  @Test
  void readsAQueueMessage() throws Exception {
    TrainingRequest r =
        TrainingRequest.fromJson(
            JSON.readTree(
                """
        {"model": "all-minilm-l6-v2@1", "data": "s3://datasets/spam/train.jsonl", "name": "minilm-spam",
         "evalData": "s3://datasets/spam/eval.jsonl", "positiveLabel": "spam",
         "hyperparameters": {"epochs": 12, "unfreezeLayers": 1}}"""));
    assertEquals("all-minilm-l6-v2@1", r.model());
    assertEquals("s3://datasets/spam/train.jsonl", r.data());
    assertEquals("minilm-spam", r.name());
    assertEquals("s3://datasets/spam/eval.jsonl", r.evalData());
    assertEquals("spam", r.positiveLabel());
    assertEquals(12, r.hyperparameters().epochs());
    assertEquals(1, r.hyperparameters().unfreezeLayers());
    TrainingRequest minimal =
        TrainingRequest.fromJson(
            JSON.readTree("{\"model\": \"m\", \"data\": \"d.jsonl\", \"name\": \"out\"}"));
    assertNull(minimal.evalData());
    assertEquals(Hyperparameters.DEFAULTS, minimal.hyperparameters());
  }

  @Test
  void badMessagesSayWhichField() {
    assertEquals("request body must be a JSON object, got an array", error("[]"));
    assertEquals(
        "'model' is required: the base encoder package, e.g. \"all-minilm-l6-v2\"",
        error("{\"data\": \"d\", \"name\": \"n\"}"));
    assertEquals(
        "'data' is required: a JSONL file path or s3://bucket/key",
        error("{\"model\": \"m\", \"name\": \"n\"}"));
    assertEquals(
        "'data' must be a string, got a number",
        error("{\"model\": \"m\", \"data\": 3, \"name\": \"n\"}"));
    assertTrue(
        error("{\"model\": \"m\", \"data\": \"d\", \"name\": \"Bad Name\"}")
            .startsWith("'name': invalid model name or version 'Bad Name'"));
    assertTrue(
        error("{\"model\": \"m\", \"data\": \"d\", \"name\": \"n\", \"epochs\": 3}")
            .startsWith("unknown field 'epochs' in training request; known: ["));
    assertEquals(
        "'epochs' must be > 0, got -1",
        error(
            "{\"model\": \"m\", \"data\": \"d\", \"name\": \"n\", \"hyperparameters\": {\"epochs\": -1}}"));
  }
}
