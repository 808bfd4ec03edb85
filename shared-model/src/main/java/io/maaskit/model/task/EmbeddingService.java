package io.maaskit.model.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.registry.ModelRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sentence embeddings in two wire dialects: Hugging Face TEI ({@code POST /embed}) and OpenAI
 * ({@code POST /v1/embeddings}). Validates the request, resolves the model through the registry
 * (loading it lazily) and runs all inputs as padded batches.
 *
 * <pre>{@code
 * EmbeddingService svc = new EmbeddingService(registry, "all-minilm-l6-v2", 256);
 * float[][] v = svc.embedTei(json("{\"inputs\": [\"hello\", \"world\"]}"));
 * }</pre>
 */
public final class EmbeddingService {
  private final ModelRegistry registry;
  private final String defaultModel;
  private final int maxInputs;

  public EmbeddingService(ModelRegistry registry, String defaultModel, int maxInputs) {
    this.registry = registry;
    this.defaultModel = defaultModel;
    this.maxInputs = maxInputs;
  }

  /** The model used when a request names none. */
  public String defaultModel() {
    return defaultModel;
  }

  /** TEI {@code /embed}: {@code {"inputs": "text" | [...], "normalize": true, "model": "..."}}. */
  public float[][] embedTei(JsonNode body) {
    Inputs.object(body);
    List<String> texts = Inputs.texts(body, "inputs", maxInputs);
    boolean normalize = Inputs.bool(body, "normalize", true);
    TextEncoder enc = encoder(Inputs.string(body, "model", defaultModel));
    return enc.embed(texts, normalize).vectors();
  }

  /** OpenAI {@code /v1/embeddings}. Vectors are normalized as the package's manifest says. */
  public OpenAiEmbeddings embedOpenAi(JsonNode body) {
    Inputs.object(body);
    List<String> texts = Inputs.texts(body, "input", maxInputs);
    String format = Inputs.string(body, "encoding_format", "float");
    if (!format.equals("float") && !format.equals("base64")) {
      throw new InvalidRequestException(
          "'encoding_format' must be \"float\" or \"base64\", got \"" + format + "\"");
    }
    String model = Inputs.string(body, "model", defaultModel);
    TextEncoder enc = encoder(model);
    JsonNode dims = body.get("dimensions");
    if (dims != null
        && !dims.isNull()
        && (!dims.canConvertToInt() || dims.asInt() != enc.dimension())) {
      throw new InvalidRequestException(
          "'dimensions' is not adjustable: model '" + model + "' produces " + enc.dimension());
    }
    TextEncoder.Encoded e = enc.embed(texts, Boolean.TRUE.equals(enc.manifest().normalize()));
    List<OpenAiEmbeddings.Item> items = new ArrayList<>();
    for (int i = 0; i < e.vectors().length; i++) {
      Object payload = format.equals("base64") ? base64(e.vectors()[i]) : e.vectors()[i];
      items.add(new OpenAiEmbeddings.Item("embedding", i, payload));
    }
    return new OpenAiEmbeddings(
        "list", items, model, new OpenAiEmbeddings.Usage(e.promptTokens(), e.promptTokens()));
  }

  /** Little-endian float32, base64: what the official OpenAI clients decode by default. */
  static String base64(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return Base64.getEncoder().encodeToString(b.array());
  }

  private TextEncoder encoder(String model) {
    return registry.get(ModelId.parse(model), TextEncoder.class);
  }

  /** OpenAI {@code GET /v1/models}: every package in the store, newest version per name first. */
  public ModelList models() {
    List<ModelList.Model> out = new ArrayList<>();
    for (ModelManifest m : registry.available()) {
      Map<String, Object> extra = new LinkedHashMap<>();
      out.add(
          new ModelList.Model(
              m.name() + "@" + m.version(),
              "model",
              0L,
              "maaskit",
              m.name(),
              m.version(),
              m.task(),
              m.dtype(),
              m.totalBytes(),
              m.name().equals(defaultModel) ? Boolean.TRUE : null));
    }
    return new ModelList("list", out);
  }

  /** OpenAI embeddings response. */
  public record OpenAiEmbeddings(String object, List<Item> data, String model, Usage usage) {
    /** One embedding: a float array or a base64 string. */
    public record Item(String object, int index, Object embedding) {}

    /** Token accounting. */
    public record Usage(
        @JsonProperty("prompt_tokens") int promptTokens,
        @JsonProperty("total_tokens") int totalTokens) {}
  }

  /** OpenAI model list, with the package's name, version, task, dtype and size. */
  public record ModelList(String object, List<Model> data) {
    /** One package. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Model(
        String id,
        String object,
        long created,
        @JsonProperty("owned_by") String ownedBy,
        String name,
        String version,
        String task,
        String dtype,
        long bytes,
        @JsonProperty("default") Boolean isDefault) {}
  }
}
