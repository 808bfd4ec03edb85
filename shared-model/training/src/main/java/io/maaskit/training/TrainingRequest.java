package io.maaskit.training;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.pkg.ModelId;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * One fine-tuning job: which encoder package to start from, which labelled data to learn, the name
 * of the classification package to publish, and how to train.
 *
 * <p>As JSON (a queue message, {@link #fromJson}):
 *
 * <pre>{@code
 * {"model": "all-minilm-l6-v2", "data": "s3://datasets/spam/train.jsonl", "name": "minilm-spam",
 *  "evalData": "s3://datasets/spam/eval.jsonl", "positiveLabel": "spam",
 *  "hyperparameters": {"epochs": 30, "learningRate": 0.001}}
 * }</pre>
 *
 * @param model base package reference ({@code name} or {@code name@version}) in the store
 * @param data JSONL training data ({@link LabelledDataset} texts or pairs, or {@link TaggedDataset}
 *     sentences for a token classifier): a local path or {@code s3://bucket/key}; the validation
 *     split for early stopping is carved from it
 * @param name name of the package to publish (the next version number if it exists)
 * @param evalData optional held-out JSONL, scored after training and recorded in the manifest;
 *     never used for training or early stopping
 * @param positiveLabel optional label whose F1 is reported as the headline number
 * @param hyperparameters never null
 */
public record TrainingRequest(
    String model,
    String data,
    String name,
    String evalData,
    String positiveLabel,
    Hyperparameters hyperparameters) {

  /** JSON fields {@link #fromJson} accepts. */
  public static final Set<String> FIELDS =
      Set.of("model", "data", "name", "evalData", "positiveLabel", "hyperparameters");

  public TrainingRequest {
    checkName("model", model, true);
    if (data == null || data.isBlank()) {
      throw new InvalidFieldException("data", "is required: a JSONL file path or s3://bucket/key");
    }
    checkName("name", name, false);
    if (evalData != null && evalData.isBlank()) {
      throw new InvalidFieldException("evalData", "must not be empty when given");
    }
    if (positiveLabel != null && positiveLabel.isBlank()) {
      throw new InvalidFieldException("positiveLabel", "must not be empty when given");
    }
    hyperparameters = hyperparameters == null ? Hyperparameters.DEFAULTS : hyperparameters;
  }

  private static void checkName(String field, String value, boolean withVersion) {
    try {
      if (withVersion) {
        ModelId.parse(value);
      } else {
        new ModelId(value == null ? "" : value, null);
      }
    } catch (InvalidRequestException e) {
      throw new InvalidFieldException(field, ": " + e.getMessage());
    }
  }

  /** A request with default hyper-parameters and no evaluation set. */
  public static TrainingRequest of(String model, String data, String name) {
    return new TrainingRequest(model, data, name, null, null, Hyperparameters.DEFAULTS);
  }

  /**
   * Reads a request object; for queue adapters, so a bad message gets the same message whichever
   * way it arrived.
   *
   * @throws InvalidRequestException naming the field of the first problem
   */
  public static TrainingRequest fromJson(JsonNode body) {
    TrainingJson.object(body);
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new InvalidRequestException(
            "unknown field '" + f + "' in training request; known: " + new TreeSet<>(FIELDS));
      }
    }
    String model = required(body, "model", "the base encoder package, e.g. \"all-minilm-l6-v2\"");
    String data = required(body, "data", "a JSONL file path or s3://bucket/key");
    String name =
        required(body, "name", "the name of the package to publish, e.g. \"minilm-spam\"");
    return new TrainingRequest(
        model,
        data,
        name,
        TrainingJson.string(body, "evalData", null),
        TrainingJson.string(body, "positiveLabel", null),
        Hyperparameters.fromJson(body.get("hyperparameters")));
  }

  private static String required(JsonNode body, String field, String what) {
    String v = TrainingJson.string(body, field, null);
    if (v == null || v.isBlank()) {
      throw new InvalidRequestException("'" + field + "' is required: " + what);
    }
    return v;
  }

  /** A copy with other hyper-parameters. */
  public TrainingRequest withHyperparameters(Hyperparameters hp) {
    return new TrainingRequest(model, data, name, evalData, positiveLabel, hp);
  }
}
