package io.maaskit.tools.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.TensorLayout;
import io.maaskit.model.arch.TrainableEncoder;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.OnnxCompiler;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Imports a Hugging Face model directory ({@code config.json}, {@code model.safetensors}, {@code
 * tokenizer.json}) of a BERT-family encoder or {@code BertForSequenceClassification}. Pooling is
 * taken from a sentence-transformers {@code 1_Pooling/config.json} when present.
 */
public final class HfDirectoryImporter {
  private static final String WEIGHTS = "model.safetensors";

  private HfDirectoryImporter() {}

  /** Imports {@code dir} into {@code outDir}; returns the sealed manifest. */
  public static ModelManifest importModel(
      Path dir, Path outDir, ImportOptions options, Progress progress) throws IOException {
    for (String f : List.of("config.json", WEIGHTS, "tokenizer.json")) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        throw new IOException(
            dir
                + " is not a supported Hugging Face directory: "
                + f
                + " is missing"
                + (f.equals(WEIGHTS) && Files.exists(dir.resolve("pytorch_model.bin"))
                    ? " (pytorch_model.bin is not supported: convert it to safetensors first)"
                    : ""));
      }
    }
    JsonNode config;
    try {
      config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    } catch (IOException e) {
      throw new IOException(dir.resolve("config.json") + ": " + e.getMessage(), e);
    }
    String modelType = config.path("model_type").asText("bert");
    Architecture arch;
    try {
      arch = Architecture.forHuggingFace(modelType);
    } catch (IllegalArgumentException e) {
      throw new IOException(dir.resolve("config.json") + ": " + e.getMessage(), e);
    }
    progress.update(
        "config: "
            + modelType
            + ", "
            + config.path("num_hidden_layers").asInt()
            + " layers, hidden "
            + config.path("hidden_size").asInt(),
        1,
        3);
    Map<String, Safetensors.Tensor> tensors = Safetensors.read(dir.resolve(WEIGHTS));
    // What the checkpoint must hold is the architecture's declared layout, not a name guess.
    TensorLayout layout =
        arch.layout(path -> ByteBuffer.wrap(Files.readAllBytes(dir.resolve(path))));
    for (String name : layout.roles().keySet()) {
      if (!tensors.containsKey(name)) {
        throw new IOException(
            dir + ": model.safetensors has no " + name + "; not a " + arch.name() + " checkpoint");
      }
    }
    for (Safetensors.Tensor t : tensors.values()) {
      if (!t.dtype().equals("F32")) {
        throw new IOException(
            dir + ": only float32 safetensors are supported for import, found " + t.dtype());
      }
    }
    boolean classifier =
        tensors.containsKey(TrainableEncoder.HEAD_WEIGHT) && config.path("id2label").size() > 0;
    String pooling =
        options.pooling() != null ? options.pooling() : sentenceTransformersPooling(dir);
    Files.createDirectories(outDir);
    for (String f : List.of("config.json", WEIGHTS, "tokenizer.json")) {
      Files.copy(dir.resolve(f), outDir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    progress.update("copied config.json, model.safetensors, tokenizer.json", 2, 3);
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("importer", "huggingface-dir");
    source.put("dir", dir.getFileName() == null ? dir.toString() : dir.getFileName().toString());
    ModelManifest draft =
        new ModelManifest(
            ModelManifest.FORMAT,
            options.name(),
            options.version(),
            classifier ? ModelManifest.TASK_CLASSIFICATION : ModelManifest.TASK_EMBEDDING,
            classifier
                ? List.of(Capability.ENCODER, Capability.CLASSIFIER)
                : List.of(Capability.ENCODER),
            arch.name(),
            pooling,
            options.normalize(),
            options.maxSequenceLength() == null
                ? config.path("max_position_embeddings").asInt(512)
                : options.maxSequenceLength(),
            "float32",
            null,
            List.of(),
            Map.of(),
            source);
    if (OnnxCompiler.supports(draft)) {
      OnnxCompiler.writeGraph(outDir, draft, progress);
    }
    ModelManifest sealed = ModelPackage.seal(outDir, draft);
    progress.update("sealed package " + sealed.id(), 3, 3);
    return sealed;
  }

  private static String sentenceTransformersPooling(Path dir) throws IOException {
    Path p = dir.resolve("1_Pooling").resolve("config.json");
    if (!Files.isRegularFile(p)) {
      return "mean";
    }
    JsonNode n = new ObjectMapper().readTree(p.toFile());
    if (n.path("pooling_mode_cls_token").asBoolean(false)) {
      return "cls";
    }
    if (n.path("pooling_mode_mean_tokens").asBoolean(true)) {
      return "mean";
    }
    throw new IOException(p + ": only mean or CLS pooling is supported");
  }
}
