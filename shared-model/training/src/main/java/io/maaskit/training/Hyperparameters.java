package io.maaskit.training;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * How a classifier is trained. {@link #DEFAULTS} is the one place defaults live; {@link #fromJson}
 * (used by the queue adapter and the CLI alike) overlays the fields a caller sets, and the
 * constructor validates every value with a message that names the field.
 *
 * <pre>{@code
 * Hyperparameters hp = Hyperparameters.fromJson(json("{\"epochs\": 10, \"learningRate\": 0.002}"));
 * }</pre>
 *
 * @param epochs most passes over the training split (early stopping may end sooner)
 * @param batchSize examples per optimizer step
 * @param learningRate peak learning rate of the classification head (AdamW)
 * @param encoderLearningRate peak learning rate of the fine-tuning stage (unfrozen layers and head)
 * @param weightDecay AdamW decoupled weight decay
 * @param warmupFraction share of all steps spent ramping the learning rate up linearly from 0
 * @param schedule decay after warm-up: {@code cosine} or {@code linear}, both to 0
 * @param validationFraction share of each label held out (stratified) for early stopping
 * @param patience epochs without a lower validation loss before stopping
 * @param seed seeds the split, the shuffling and the head's initial weights
 * @param maxLength tokens per input (capped at the base model's maximum); inference uses the same
 * @param unfreezeLayers encoder layers fine-tuned after the head (0: frozen encoder, embeddings
 *     computed once). The head is first trained on frozen features ({@code epochs}), then the top
 *     layers and the head train together ({@code encoderEpochs}) on cached outputs of the layers
 *     below
 * @param encoderEpochs most epochs of that second stage
 * @param classWeighting {@code none}, or {@code balanced}: each class weighs in the loss inversely
 *     to its frequency
 * @param labelSmoothing share of each target spread evenly over all labels in the cross-entropy, in
 *     training and in the validation loss that early stopping watches ({@code 0}: plain
 *     cross-entropy)
 */
public record Hyperparameters(
    int epochs,
    int batchSize,
    double learningRate,
    double encoderLearningRate,
    double weightDecay,
    double warmupFraction,
    String schedule,
    double validationFraction,
    int patience,
    long seed,
    int maxLength,
    int unfreezeLayers,
    int encoderEpochs,
    String classWeighting,
    double labelSmoothing) {

  /** Every default, in one place. */
  public static final Hyperparameters DEFAULTS =
      new Hyperparameters(
          40, 32, 1e-3, 3e-5, 0.01, 0.1, "cosine", 0.1, 5, 42L, 256, 0, 3, "balanced", 0.0);

  /** JSON field names {@link #fromJson} accepts. */
  public static final Set<String> FIELDS =
      Set.of(
          "epochs",
          "batchSize",
          "learningRate",
          "encoderLearningRate",
          "weightDecay",
          "warmupFraction",
          "schedule",
          "validationFraction",
          "patience",
          "seed",
          "maxLength",
          "unfreezeLayers",
          "encoderEpochs",
          "classWeighting",
          "labelSmoothing");

  public Hyperparameters {
    require(epochs > 0, "epochs", "must be > 0, got " + epochs);
    require(epochs <= 1000, "epochs", "must be <= 1000, got " + epochs);
    require(batchSize > 0, "batchSize", "must be > 0, got " + batchSize);
    require(batchSize <= 4096, "batchSize", "must be <= 4096, got " + batchSize);
    require(
        learningRate > 0 && Double.isFinite(learningRate),
        "learningRate",
        "must be > 0, got " + learningRate);
    require(learningRate < 10, "learningRate", "must be < 10, got " + learningRate);
    require(
        encoderLearningRate > 0 && Double.isFinite(encoderLearningRate),
        "encoderLearningRate",
        "must be > 0, got " + encoderLearningRate);
    require(
        weightDecay >= 0 && Double.isFinite(weightDecay),
        "weightDecay",
        "must be >= 0, got " + weightDecay);
    require(
        warmupFraction >= 0 && warmupFraction < 1,
        "warmupFraction",
        "must be in [0, 1), got " + warmupFraction);
    require(
        "cosine".equals(schedule) || "linear".equals(schedule),
        "schedule",
        "must be \"cosine\" or \"linear\", got " + quote(schedule));
    require(
        validationFraction > 0 && validationFraction < 1,
        "validationFraction",
        "must be strictly between 0 and 1, got " + validationFraction);
    require(patience > 0, "patience", "must be > 0, got " + patience);
    require(maxLength >= 8, "maxLength", "must be >= 8 tokens, got " + maxLength);
    require(unfreezeLayers >= 0, "unfreezeLayers", "must be >= 0, got " + unfreezeLayers);
    require(encoderEpochs > 0, "encoderEpochs", "must be > 0, got " + encoderEpochs);
    require(encoderEpochs <= 100, "encoderEpochs", "must be <= 100, got " + encoderEpochs);
    require(
        "none".equals(classWeighting) || "balanced".equals(classWeighting),
        "classWeighting",
        "must be \"none\" or \"balanced\", got " + quote(classWeighting));
    require(
        labelSmoothing >= 0 && labelSmoothing < 1,
        "labelSmoothing",
        "must be in [0, 1), got " + labelSmoothing);
  }

  /** The defaults. */
  public static Hyperparameters defaults() {
    return DEFAULTS;
  }

  /**
   * Reads an object of hyper-parameters (absent or null fields keep their defaults).
   *
   * @throws InvalidRequestException naming the field for unknown fields, wrong types and bad values
   */
  public static Hyperparameters fromJson(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return DEFAULTS;
    }
    if (!node.isObject()) {
      throw new InvalidRequestException(
          "'hyperparameters' must be a JSON object, got " + TrainingJson.kind(node));
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new InvalidRequestException(
            "unknown hyper-parameter '" + f + "'; known: " + new java.util.TreeSet<>(FIELDS));
      }
    }
    Hyperparameters d = DEFAULTS;
    return new Hyperparameters(
        integer(node, "epochs", d.epochs),
        integer(node, "batchSize", d.batchSize),
        number(node, "learningRate", d.learningRate),
        number(node, "encoderLearningRate", d.encoderLearningRate),
        number(node, "weightDecay", d.weightDecay),
        number(node, "warmupFraction", d.warmupFraction),
        TrainingJson.string(node, "schedule", d.schedule),
        number(node, "validationFraction", d.validationFraction),
        integer(node, "patience", d.patience),
        (long) number(node, "seed", d.seed),
        integer(node, "maxLength", d.maxLength),
        integer(node, "unfreezeLayers", d.unfreezeLayers),
        integer(node, "encoderEpochs", d.encoderEpochs),
        TrainingJson.string(node, "classWeighting", d.classWeighting),
        number(node, "labelSmoothing", d.labelSmoothing));
  }

  /** This as a JSON object (every field), e.g. for the manifest's metrics. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epochs", epochs);
    m.put("batchSize", batchSize);
    m.put("learningRate", learningRate);
    m.put("encoderLearningRate", encoderLearningRate);
    m.put("weightDecay", weightDecay);
    m.put("warmupFraction", warmupFraction);
    m.put("schedule", schedule);
    m.put("validationFraction", validationFraction);
    m.put("patience", patience);
    m.put("seed", seed);
    m.put("maxLength", maxLength);
    m.put("unfreezeLayers", unfreezeLayers);
    m.put("encoderEpochs", encoderEpochs);
    m.put("classWeighting", classWeighting);
    m.put("labelSmoothing", labelSmoothing);
    return m;
  }

  /** Whether any encoder layer is trained. */
  public boolean frozenEncoder() {
    return unfreezeLayers == 0;
  }

  /** A copy with another {@code maxLength} (the base model's maximum caps it). */
  public Hyperparameters withMaxLength(int newMaxLength) {
    return new Hyperparameters(
        epochs,
        batchSize,
        learningRate,
        encoderLearningRate,
        weightDecay,
        warmupFraction,
        schedule,
        validationFraction,
        patience,
        seed,
        newMaxLength,
        unfreezeLayers,
        encoderEpochs,
        classWeighting,
        labelSmoothing);
  }

  private static int integer(JsonNode node, String field, int dflt) {
    JsonNode n = node.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw new InvalidFieldException(field, "must be an integer, got " + describe(n));
    }
    return n.intValue();
  }

  private static double number(JsonNode node, String field, double dflt) {
    JsonNode n = node.get(field);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isNumber()) {
      throw new InvalidFieldException(field, "must be a number, got " + describe(n));
    }
    return n.doubleValue();
  }

  private static String describe(JsonNode n) {
    return n.isValueNode() ? TrainingJson.kind(n) + " (" + n + ")" : TrainingJson.kind(n);
  }

  private static String quote(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }

  private static void require(boolean ok, String field, String problem) {
    if (!ok) {
      throw new InvalidFieldException(field, problem);
    }
  }
}
