package io.maaskit.functions.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.task.EmbedRequest;
import io.maaskit.model.task.Embeddings;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * OpenAI API shapes: {@code POST /v1/embeddings} request and response, {@code GET /v1/models}. The
 * official clients decode base64 embeddings as little-endian float32.
 */
public final class OpenAi {
  private OpenAi() {}

  /** A bound embeddings request and the encoding the response must use. */
  public record EmbeddingsCall(EmbedRequest request, String encodingFormat) {}

  /**
   * {@code {"input": "text" | [...], "model": "...", "encoding_format": "float" | "base64",
   * "dimensions": n}}; vectors are normalized as the package's manifest says.
   */
  public static EmbeddingsCall embeddingsRequest(JsonNode body, int maxInputs) {
    JsonFields.object(body);
    List<String> texts = JsonFields.texts(body, "input", maxInputs);
    String format = JsonFields.string(body, "encoding_format", "float");
    if (!format.equals("float") && !format.equals("base64")) {
      throw new InvalidRequestException(
          "'encoding_format' must be \"float\" or \"base64\", got \"" + format + "\"");
    }
    String model = JsonFields.string(body, "model", null);
    JsonNode dims = body.get("dimensions");
    Integer dimensions = null;
    if (dims != null && !dims.isNull()) {
      if (!dims.canConvertToInt()) {
        throw new InvalidRequestException(
            "'dimensions' must be an integer, got " + JsonFields.kind(dims));
      }
      dimensions = dims.asInt();
    }
    return new EmbeddingsCall(new EmbedRequest(model, texts, null, dimensions), format);
  }

  /** The embeddings response. */
  public static EmbeddingList embeddings(Embeddings e, String encodingFormat) {
    List<EmbeddingList.Item> items = new ArrayList<>();
    for (int i = 0; i < e.vectors().length; i++) {
      Object payload = encodingFormat.equals("base64") ? base64(e.vectors()[i]) : e.vectors()[i];
      items.add(new EmbeddingList.Item("embedding", i, payload));
    }
    return new EmbeddingList(
        "list", items, e.model(), new EmbeddingList.Usage(e.promptTokens(), e.promptTokens()));
  }

  /** Little-endian float32, base64: what the official OpenAI clients decode by default. */
  static String base64(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return Base64.getEncoder().encodeToString(b.array());
  }

  /**
   * {@code GET /v1/models}: every package in the store, with its name, version, task, size, the
   * engine that serves it here ({@code engine(manifest)}; null when none can), and for generators
   * the context length (prompt plus completion tokens).
   */
  public static ModelList models(
      List<ModelManifest> available,
      String defaultModel,
      java.util.function.Function<ModelManifest, String> engine) {
    List<ModelList.Model> out = new ArrayList<>();
    for (ModelManifest m : available) {
      out.add(
          new ModelList.Model(
              m.name() + "@" + m.version(),
              "model",
              0L,
              "maaskit",
              m.name(),
              m.version(),
              m.task(),
              m.capabilities().stream().map(c -> c.key()).toList(),
              m.dtype(),
              m.totalBytes(),
              engine.apply(m),
              m.capabilities().contains(Capability.GENERATOR) ? m.maxSequenceLength() : null,
              m.name().equals(defaultModel) ? Boolean.TRUE : null));
    }
    return new ModelList("list", out);
  }

  /** OpenAI embeddings response. */
  public record EmbeddingList(String object, List<Item> data, String model, Usage usage) {
    /** One embedding: a float array or a base64 string. */
    public record Item(String object, int index, Object embedding) {}

    /** Token accounting. */
    public record Usage(
        @JsonProperty("prompt_tokens") int promptTokens,
        @JsonProperty("total_tokens") int totalTokens) {}
  }

  /**
   * OpenAI model list, with the package's name, version, task, capabilities, dtype, size and the
   * engine that serves it ({@code onnxruntime} or {@code pytorch}; absent when this deployable
   * cannot serve it).
   */
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
        List<String> capabilities,
        String dtype,
        long bytes,
        String engine,
        @JsonProperty("context_length") Integer contextLength,
        @JsonProperty("default") Boolean isDefault) {}
  }
}
