package io.maaskit.model.task;

import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.Classifications.LabelScore;
import io.maaskit.model.task.internal.Batching;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Text classification: per input, every label with its probability, highest first. Takes and
 * returns plain records; the adapters speak the protocols.
 *
 * <pre>{@code
 * ClassificationService svc = new ClassificationService(registry, "minilm-spam", 256);
 * Classifications c = svc.classify(new ClassifyRequest(null, List.of("WIN A FREE PRIZE")));
 * }</pre>
 */
public final class ClassificationService {
  private final ModelRegistry registry;
  private final String defaultModel;
  private final int maxInputs;

  /**
   * @param defaultModel the model used when a request names none
   * @param maxInputs most inputs per request
   */
  public ClassificationService(ModelRegistry registry, String defaultModel, int maxInputs) {
    this.registry = registry;
    this.defaultModel = defaultModel;
    this.maxInputs = maxInputs;
  }

  /** Classifies a request's inputs. */
  public Classifications classify(ClassifyRequest request) {
    List<String> texts = Requests.inputs(request.inputs(), maxInputs);
    String model = request.model() == null ? defaultModel : request.model();
    TextClassifier c =
        registry.get(ModelId.parse(model), Capability.CLASSIFIER, TextClassifier.class);
    Batching.Result r = Batching.run(c, texts, c::classify);
    List<String> labels = c.labels();
    List<List<LabelScore>> out = new ArrayList<>(r.rows().length);
    for (float[] p : r.rows()) {
      List<LabelScore> row = new ArrayList<>(labels.size());
      for (int j = 0; j < labels.size(); j++) {
        row.add(new LabelScore(labels.get(j), p[j]));
      }
      row.sort(Comparator.comparingDouble(LabelScore::score).reversed());
      out.add(row);
    }
    return new Classifications(model, out, r.tokens());
  }

  /** Probabilities per text in {@link TextClassifier#labels()} order (for tools and tests). */
  public static float[][] probabilities(TextClassifier classifier, List<String> texts) {
    return Batching.run(classifier, texts, classifier::classify).rows();
  }

  /** The model used when a request names none. */
  public String defaultModel() {
    return defaultModel;
  }

  /** Most inputs per request. */
  public int maxInputs() {
    return maxInputs;
  }
}
