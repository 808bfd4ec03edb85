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
  private final Admission admission;

  /**
   * @param defaultModel the model used when a request names none
   * @param maxInputs most inputs per request
   * @param admission the process's admission control, shared by every service
   */
  public ClassificationService(
      ModelRegistry registry, String defaultModel, int maxInputs, Admission admission) {
    this.registry = registry;
    this.defaultModel = defaultModel;
    this.maxInputs = maxInputs;
    this.admission = admission;
  }

  /** A service without admission limits (tools, tests). */
  public ClassificationService(ModelRegistry registry, String defaultModel, int maxInputs) {
    this(registry, defaultModel, maxInputs, Admission.unlimited());
  }

  /** Classifies a request's inputs. */
  public Classifications classify(ClassifyRequest request) {
    return classify(request, Cancellation.NONE);
  }

  /**
   * Classifies a request's inputs, admitted by the process's {@link Admission} and stopped between
   * sub-batches once {@code cancellation} says the caller is gone.
   */
  public Classifications classify(ClassifyRequest request, Cancellation cancellation) {
    List<String> texts = Requests.inputs(request.inputs(), maxInputs);
    String model = request.model() == null ? defaultModel : request.model();
    Batching.Result r;
    List<String> labels;
    try (ModelRegistry.Lease<TextClassifier> lease =
            registry.lease(ModelId.parse(model), Capability.CLASSIFIER, TextClassifier.class);
        Admission.Ticket ticket =
            admission.enter(Requests.work(texts, lease.model().maxLength()), cancellation)) {
      TextClassifier c = lease.model();
      r = Batching.run(c, texts, ticket, admission.options().maxRequestTokens(), c::classify);
      labels = c.labels();
    }
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
