package io.maaskit.model.task;

import io.maaskit.model.arch.Pooling;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.internal.Batching;
import java.util.List;

/**
 * Sentence embeddings: validates a request, resolves the model through the registry (loading it
 * lazily) and runs the inputs in length-bucketed batches. Protocols (TEI, OpenAI) are the adapters'
 * business; this service takes and returns plain records.
 *
 * <pre>{@code
 * EmbeddingService svc = new EmbeddingService(registry, "all-minilm-l6-v2", 256);
 * Embeddings e = svc.embed(new EmbedRequest(null, List.of("hello", "world"), true, null));
 * }</pre>
 */
public final class EmbeddingService {
  private final ModelRegistry registry;
  private final String defaultModel;
  private final int maxInputs;
  private final Admission admission;

  /**
   * @param defaultModel the model used when a request names none
   * @param maxInputs most inputs per request
   * @param admission the process's admission control, shared by every service
   */
  public EmbeddingService(
      ModelRegistry registry, String defaultModel, int maxInputs, Admission admission) {
    this.registry = registry;
    this.defaultModel = defaultModel;
    this.maxInputs = maxInputs;
    this.admission = admission;
  }

  /** A service without admission limits (tools, tests). */
  public EmbeddingService(ModelRegistry registry, String defaultModel, int maxInputs) {
    this(registry, defaultModel, maxInputs, Admission.unlimited());
  }

  /** The model used when a request names none. */
  public String defaultModel() {
    return defaultModel;
  }

  /** Most inputs per request. */
  public int maxInputs() {
    return maxInputs;
  }

  /** Embeds a request's inputs. */
  public Embeddings embed(EmbedRequest request) {
    return embed(request, Cancellation.NONE);
  }

  /**
   * Embeds a request's inputs, admitted by the process's {@link Admission} and stopped between
   * sub-batches once {@code cancellation} says the caller is gone.
   *
   * @throws io.maaskit.model.error.OverloadedException when the process is at capacity
   * @throws io.maaskit.model.error.RequestCancelledException when cancelled before it finished
   */
  public Embeddings embed(EmbedRequest request, Cancellation cancellation) {
    List<String> texts = Requests.inputs(request.inputs(), maxInputs);
    String model = request.model() == null ? defaultModel : request.model();
    try (ModelRegistry.Lease<TextEncoder> lease =
        registry.lease(ModelId.parse(model), Capability.ENCODER, TextEncoder.class)) {
      TextEncoder enc = lease.model();
      if (request.dimensions() != null && request.dimensions() != enc.dimension()) {
        throw new InvalidRequestException(
            "'dimensions' is not adjustable: model '" + model + "' produces " + enc.dimension());
      }
      boolean normalize =
          request.normalize() != null
              ? request.normalize()
              : Boolean.TRUE.equals(enc.manifest().normalize());
      Pooling pooling = Pooling.of(enc.manifest().pooling());
      try (Admission.Ticket ticket =
          admission.enter(Requests.work(texts, enc.maxLength()), cancellation)) {
        Batching.Result r =
            Batching.run(
                enc,
                texts,
                ticket,
                admission.options().maxRequestTokens(),
                batch -> enc.encode(batch, pooling, normalize));
        return new Embeddings(model, r.rows(), r.tokens());
      }
    }
  }

  /** The process's admission control (its limits are what {@code /info} shows). */
  public Admission admission() {
    return admission;
  }

  /** Embeds texts with a loaded encoder, pooling as its manifest says (for tools and tests). */
  public static Embeddings embed(TextEncoder encoder, List<String> texts, boolean normalize) {
    Pooling pooling = Pooling.of(encoder.manifest().pooling());
    Batching.Result r =
        Batching.run(encoder, texts, batch -> encoder.encode(batch, pooling, normalize));
    return new Embeddings(encoder.manifest().name(), r.rows(), r.tokens());
  }
}
