package io.maaskit.model.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Text classification in the TEI dialect ({@code POST /predict}): {@code {"inputs": "text" | [...],
 * "model": "..."}} → per input, every label with its probability, highest first.
 *
 * <pre>{@code
 * ClassificationService svc = new ClassificationService(registry, "minilm-spam", 256);
 * List<List<LabelScore>> r = svc.predict(json("{\"inputs\": \"WIN A FREE PRIZE\"}"));
 * }</pre>
 */
public final class ClassificationService {
  private final ModelRegistry registry;
  private final String defaultModel;
  private final int maxInputs;

  public ClassificationService(ModelRegistry registry, String defaultModel, int maxInputs) {
    this.registry = registry;
    this.defaultModel = defaultModel;
    this.maxInputs = maxInputs;
  }

  /** One label and its probability. */
  public record LabelScore(String label, float score) {}

  /** Classifies a TEI-style request body. */
  public List<List<LabelScore>> predict(JsonNode body) {
    Inputs.object(body);
    List<String> texts = Inputs.texts(body, "inputs", maxInputs);
    String model = Inputs.string(body, "model", defaultModel);
    return classify(model, texts);
  }

  /** Classifies texts with a named model. */
  public List<List<LabelScore>> classify(String model, List<String> texts) {
    TextClassifier c = registry.get(ModelId.parse(model), TextClassifier.class);
    float[][] probs = c.classify(texts);
    List<String> labels = c.labels();
    List<List<LabelScore>> out = new ArrayList<>(probs.length);
    for (float[] p : probs) {
      List<LabelScore> row = new ArrayList<>(labels.size());
      for (int j = 0; j < labels.size(); j++) {
        row.add(new LabelScore(labels.get(j), p[j]));
      }
      row.sort(Comparator.comparingDouble(LabelScore::score).reversed());
      out.add(row);
    }
    return out;
  }

  /** The model used when a request names none. */
  public String defaultModel() {
    return defaultModel;
  }
}
