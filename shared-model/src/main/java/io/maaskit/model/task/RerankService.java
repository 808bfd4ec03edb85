package io.maaskit.model.task;

import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.Rerankings.Ranked;
import io.maaskit.model.task.internal.Batching;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Reranking with a cross-encoder (capability {@code reranker}): the query is paired with each text,
 * the pairs are tokenized as pairs and truncated longest-first (or refused, when the request does
 * not allow truncation), batched, admitted and cancelled like any other request's inputs, and
 * ranked by relevance. Takes and returns plain records; the adapters speak the protocols.
 *
 * <pre>{@code
 * RerankService svc = new RerankService(registry, "ms-marco-minilm", 256, admission);
 * Rerankings r = svc.rerank(new RerankRequest(null, "what is a cat?", docs, true), Cancellation.NONE);
 * int best = r.ranked().get(0).index();
 * }</pre>
 */
public final class RerankService {
  private final ModelRegistry registry;
  private final String defaultModel;
  private final int maxInputs;
  private final Admission admission;

  /**
   * @param defaultModel the model used when a request names none; null = a request must name one
   * @param maxInputs most texts per request
   * @param admission the process's admission control, shared by every service
   */
  public RerankService(
      ModelRegistry registry, String defaultModel, int maxInputs, Admission admission) {
    this.registry = registry;
    this.defaultModel = defaultModel;
    this.maxInputs = maxInputs;
    this.admission = admission;
  }

  /**
   * Ranks a request's texts, admitted by the process's {@link Admission} (priced by pairs × their
   * estimated tokens) and stopped between sub-batches once {@code cancellation} says the caller is
   * gone.
   */
  public Rerankings rerank(RerankRequest request, Cancellation cancellation) {
    if (request.query() == null || request.query().isEmpty()) {
      throw new InvalidRequestException("a rerank request needs a non-empty query");
    }
    List<String> texts = Requests.inputs(request.texts(), maxInputs);
    String model = request.model() != null ? request.model() : defaultModel;
    if (model == null) {
      throw new InvalidRequestException(
          "name a reranker model: no default reranker is configured (MAAS_DEFAULT_RERANKER)");
    }
    Batching.Result r;
    try (ModelRegistry.Lease<TextScorer> lease =
            registry.lease(ModelId.parse(model), Capability.RERANKER, TextScorer.class);
        Admission.Ticket ticket =
            admission.enter(
                Requests.pairWork(request.query(), texts, lease.model().maxLength()),
                cancellation)) {
      TextScorer s = lease.model();
      List<Tokens> pairs = new ArrayList<>(texts.size());
      for (int i = 0; i < texts.size(); i++) {
        TextScorer.Pair p = s.tokenizePair(request.query(), texts.get(i));
        if (p.truncated() && !request.truncate()) {
          throw new PayloadTooLargeException(
              "the query with text "
                  + i
                  + " is longer than "
                  + s.maxLength()
                  + " tokens, the model's limit; send shorter texts or set truncate to true");
        }
        pairs.add(p.tokens());
      }
      r = Batching.runTokens(s, pairs, ticket, admission.options().maxRequestTokens(), s::score);
    }
    List<Ranked> ranked = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      float logit = r.rows()[i][0];
      ranked.add(new Ranked(i, logit, sigmoid(logit)));
    }
    ranked.sort(Comparator.comparingDouble(Ranked::logit).reversed());
    return new Rerankings(model, ranked, r.tokens());
  }

  private static float sigmoid(float x) {
    return (float) (1.0 / (1.0 + Math.exp(-x)));
  }

  /** The model used when a request names none; null when a request must name one. */
  public String defaultModel() {
    return defaultModel;
  }

  /** Most texts per request. */
  public int maxInputs() {
    return maxInputs;
  }
}
