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

  /**
   * @param defaultModel the model used when a request names none
   * @param maxInputs most inputs per request
   */
  public EmbeddingService(ModelRegistry registry, String defaultModel, int maxInputs) {
    this.registry = registry;
    this.defaultModel = defaultModel;
    this.maxInputs = maxInputs;
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
    List<String> texts = Requests.inputs(request.inputs(), maxInputs);
    String model = request.model() == null ? defaultModel : request.model();
    TextEncoder enc = registry.get(ModelId.parse(model), Capability.ENCODER, TextEncoder.class);
    if (request.dimensions() != null && request.dimensions() != enc.dimension()) {
      throw new InvalidRequestException(
          "'dimensions' is not adjustable: model '" + model + "' produces " + enc.dimension());
    }
    boolean normalize =
        request.normalize() != null
            ? request.normalize()
            : Boolean.TRUE.equals(enc.manifest().normalize());
    Embeddings e = embed(enc, texts, normalize);
    return new Embeddings(model, e.vectors(), e.promptTokens());
  }

  /** Embeds texts with a loaded encoder, pooling as its manifest says (for tools and tests). */
  public static Embeddings embed(TextEncoder encoder, List<String> texts, boolean normalize) {
    Pooling pooling = Pooling.of(encoder.manifest().pooling());
    Batching.Result r =
        Batching.run(encoder, texts, batch -> encoder.encode(batch, pooling, normalize));
    return new Embeddings(encoder.manifest().name(), r.rows(), r.tokens());
  }
}
