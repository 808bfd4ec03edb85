package io.maaskit.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.error.InvalidRequestException;
import org.junit.jupiter.api.Test;

class HyperparametersTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  static String error(String hyperparameters) {
    return assertThrows(
            InvalidRequestException.class, () -> Hyperparameters.fromJson(json(hyperparameters)))
        .getMessage();
  }

  @Test
  void absentFieldsKeepTheDefaults() throws Exception {
    Hyperparameters hp =
        Hyperparameters.fromJson(
            json("{\"epochs\": 7, \"learningRate\": 0.01, \"schedule\": \"linear\"}"));
    assertEquals(7, hp.epochs());
    assertEquals(0.01, hp.learningRate());
    assertEquals("linear", hp.schedule());
    assertEquals(Hyperparameters.DEFAULTS.batchSize(), hp.batchSize());
    assertEquals(Hyperparameters.DEFAULTS.seed(), hp.seed());
    assertEquals(0.0, hp.labelSmoothing());
    assertEquals(0.1, Hyperparameters.fromJson(json("{\"labelSmoothing\": 0.1}")).labelSmoothing());
    assertEquals(
        0.1,
        Hyperparameters.fromJson(json("{\"labelSmoothing\": 0.1}")).toMap().get("labelSmoothing"));
    assertEquals(Hyperparameters.DEFAULTS, Hyperparameters.fromJson(null));
    assertEquals(Hyperparameters.DEFAULTS, Hyperparameters.fromJson(json("{}")));
  }

  @Test
  void errorsCarryTheFieldSoACommandLineCanNameItsFlag() {
    InvalidFieldException e =
        assertThrows(
            InvalidFieldException.class,
            () -> Hyperparameters.fromJson(json("{\"maxLength\": 4}")));
    assertEquals("maxLength", e.field());
    assertEquals("'maxLength' must be >= 8 tokens, got 4", e.getMessage());
    assertEquals("--max-length must be >= 8 tokens, got 4", e.naming("--max-length"));
    InvalidFieldException name =
        assertThrows(InvalidFieldException.class, () -> TrainingRequest.of("m", "d", "Bad Name"));
    assertEquals("name", name.field());
    assertTrue(name.naming("--name").startsWith("--name: invalid model name"), name.getMessage());
  }

  @Test
  void badValuesNameTheField() {
    assertEquals("'learningRate' must be > 0, got 0.0", error("{\"learningRate\": 0}"));
    assertEquals("'learningRate' must be > 0, got -0.1", error("{\"learningRate\": -0.1}"));
    assertEquals("'epochs' must be > 0, got 0", error("{\"epochs\": 0}"));
    assertEquals("'batchSize' must be > 0, got -4", error("{\"batchSize\": -4}"));
    assertEquals(
        "'validationFraction' must be strictly between 0 and 1, got 0.0",
        error("{\"validationFraction\": 0}"));
    assertEquals(
        "'validationFraction' must be strictly between 0 and 1, got 1.0",
        error("{\"validationFraction\": 1}"));
    assertEquals(
        "'validationFraction' must be strictly between 0 and 1, got 1.5",
        error("{\"validationFraction\": 1.5}"));
    assertEquals("'unfreezeLayers' must be >= 0, got -1", error("{\"unfreezeLayers\": -1}"));
    assertEquals("'encoderEpochs' must be > 0, got 0", error("{\"encoderEpochs\": 0}"));
    assertEquals(
        "'schedule' must be \"cosine\" or \"linear\", got \"step\"",
        error("{\"schedule\": \"step\"}"));
    assertEquals(
        "'labelSmoothing' must be in [0, 1), got -0.1", error("{\"labelSmoothing\": -0.1}"));
    assertEquals("'labelSmoothing' must be in [0, 1), got 1.0", error("{\"labelSmoothing\": 1}"));
  }

  @Test
  void wrongTypesAndUnknownFieldsAreRefused() {
    assertEquals("'epochs' must be an integer, got a string (\"5\")", error("{\"epochs\": \"5\"}"));
    assertEquals("'epochs' must be an integer, got a number (2.5)", error("{\"epochs\": 2.5}"));
    assertEquals(
        "'learningRate' must be a number, got a boolean (true)", error("{\"learningRate\": true}"));
    String unknown = error("{\"epoch\": 3}");
    assertTrue(unknown.startsWith("unknown hyper-parameter 'epoch'; known: ["), unknown);
    assertEquals("'hyperparameters' must be a JSON object, got an array", error("[1]"));
  }
}
