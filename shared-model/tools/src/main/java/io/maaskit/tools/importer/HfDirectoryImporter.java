package io.maaskit.tools.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.TensorLayout;
import io.maaskit.model.arch.TrainableEncoder;
import io.maaskit.model.arch.huggingface.HfCheckpoint;
import io.maaskit.model.arch.huggingface.HfGenerationConfig;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
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
 * tokenizer.json}) of a BERT-family encoder or {@code BertForSequenceClassification}, or of a
 * decoder the registered architectures load (picked by {@code model_type}: Llama, Mistral, Qwen2,
 * GPT-2), single or sharded. Pooling is taken from a sentence-transformers {@code
 * 1_Pooling/config.json} when present.
 */
public final class HfDirectoryImporter {
  private static final String WEIGHTS = "model.safetensors";

  private HfDirectoryImporter() {}

  /** Imports {@code dir} into {@code outDir}; returns the sealed manifest. */
  public static ModelManifest importModel(
      Path dir, Path outDir, ImportOptions options, Progress progress) throws IOException {
    JsonNode peek = readConfig(dir);
    Architecture peeked = architecture(dir, peek);
    if (peeked.capabilities().contains(Capability.GENERATOR)) {
      return importDecoder(dir, outDir, options, progress, peek, peeked);
    }
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
    JsonNode config = peek;
    String modelType = config.path("model_type").asText("bert");
    Architecture arch = peeked;
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
    ModelManifest sealed = ModelPackage.seal(outDir, draft);
    progress.update("sealed package " + sealed.id(), 3, 3);
    return sealed;
  }

  private static JsonNode readConfig(Path dir) throws IOException {
    Path config = dir.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      throw new IOException(
          dir + " is not a supported Hugging Face directory: config.json is missing");
    }
    try {
      return new ObjectMapper().readTree(config.toFile());
    } catch (IOException e) {
      throw new IOException(config + ": " + e.getMessage(), e);
    }
  }

  private static Architecture architecture(Path dir, JsonNode config) throws IOException {
    String modelType = config.path("model_type").asText("bert");
    try {
      return Architecture.forHuggingFace(modelType);
    } catch (IllegalArgumentException e) {
      JsonNode names = config.path("architectures");
      throw new IOException(
          dir.resolve("config.json")
              + ": "
              + e.getMessage()
              + (names.isArray() && !names.isEmpty() ? " (architectures " + names + ")" : ""),
          e);
    }
  }

  /** Weight dtypes a decoder package may keep as stored. */
  private static final Map<String, String> DECODER_DTYPES =
      Map.of("F32", "float32", "BF16", "bfloat16", "F16", "float16");

  /**
   * A decoder (capability {@code generator}): {@code config.json}, {@code tokenizer.json}, single
   * or sharded safetensors, and {@code generation_config.json}/{@code tokenizer_config.json} when
   * present, copied as they are. Weights keep their stored dtype (fp32, bf16 or fp16; the loader
   * converts to the engine's compute dtype), so a bf16 checkpoint does not double in size; a
   * checkpoint mixing dtypes is refused. The context length (the manifest's {@code
   * maxSequenceLength}) is the config's {@code max_position_embeddings} (GPT-2: {@code
   * n_positions}) unless given.
   */
  private static ModelManifest importDecoder(
      Path dir,
      Path outDir,
      ImportOptions options,
      Progress progress,
      JsonNode config,
      Architecture arch)
      throws IOException {
    if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
      throw new IOException(
          dir + " is not a supported Hugging Face directory: tokenizer.json is missing");
    }
    boolean sharded = Files.isRegularFile(dir.resolve(HfCheckpoint.INDEX));
    List<String> weightFiles = new java.util.ArrayList<>();
    if (sharded) {
      weightFiles.add(HfCheckpoint.INDEX);
      weightFiles.addAll(HfCheckpoint.shards(Files.readAllBytes(dir.resolve(HfCheckpoint.INDEX))));
    } else if (Files.isRegularFile(dir.resolve(WEIGHTS))) {
      weightFiles.add(WEIGHTS);
    } else {
      throw new IOException(
          dir
              + " is not a supported Hugging Face directory: neither "
              + WEIGHTS
              + " nor "
              + HfCheckpoint.INDEX
              + " is present"
              + (Files.exists(dir.resolve("pytorch_model.bin"))
                  ? " (pytorch_model.bin is not supported: convert it to safetensors first)"
                  : ""));
    }
    progress.update(
        "config: "
            + config.path("model_type").asText()
            + " "
            + config.path("architectures")
            + ", "
            + (sharded ? (weightFiles.size() - 1) + " weight shards" : "one weight file"),
        1,
        3);
    Architecture.PackageFiles files = path -> map(dir.resolve(path));
    TensorLayout layout = arch.layout(files); // parses config.json: refuses unknown architectures
    Map<String, Safetensors.Tensor> tensors = HfCheckpoint.read(files, sharded);
    for (String name : layout.roles().keySet()) {
      if (!tensors.containsKey(name)) {
        throw new IOException(
            dir + ": the weights have no " + name + "; not a " + arch.name() + " checkpoint");
      }
    }
    java.util.Set<String> dtypes = new java.util.TreeSet<>();
    for (Map.Entry<String, Safetensors.Tensor> e : tensors.entrySet()) {
      String dt = e.getValue().dtype();
      if (!DECODER_DTYPES.containsKey(dt)) {
        throw new IOException(
            dir
                + ": tensor "
                + e.getKey()
                + " is "
                + dt
                + "; only F32, BF16 and F16 are supported");
      }
      dtypes.add(dt);
    }
    if (dtypes.size() > 1) {
      throw new IOException(dir + ": the weights mix dtypes " + dtypes + "; convert to one first");
    }
    Files.createDirectories(outDir);
    List<String> copied = new java.util.ArrayList<>(List.of("config.json", "tokenizer.json"));
    for (String optional :
        List.of(HfGenerationConfig.GENERATION_CONFIG, HfGenerationConfig.TOKENIZER_CONFIG)) {
      if (Files.isRegularFile(dir.resolve(optional))) {
        copied.add(optional);
      }
    }
    copied.addAll(weightFiles);
    for (String f : copied) {
      Files.copy(dir.resolve(f), outDir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    progress.update("copied " + String.join(", ", copied), 2, 3);
    int context =
        options.maxSequenceLength() != null
            ? options.maxSequenceLength()
            : config.path("max_position_embeddings").asInt(config.path("n_positions").asInt(2048));
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("importer", "huggingface-dir");
    source.put("dir", dir.getFileName() == null ? dir.toString() : dir.getFileName().toString());
    source.put("architectures", config.path("architectures").toString());
    ModelManifest draft =
        new ModelManifest(
            ModelManifest.FORMAT,
            options.name(),
            options.version(),
            ModelManifest.TASK_GENERATION,
            List.of(Capability.GENERATOR),
            arch.name(),
            null,
            null,
            context,
            dtypes.isEmpty() ? "float32" : DECODER_DTYPES.get(dtypes.iterator().next()),
            null,
            List.of(),
            Map.of(),
            source);
    ModelManifest sealed = ModelPackage.seal(outDir, draft);
    progress.update("sealed package " + sealed.id(), 3, 3);
    return sealed;
  }

  private static ByteBuffer map(Path p) throws IOException {
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.READ)) {
      if (ch.size() > Integer.MAX_VALUE) {
        throw new IOException(
            p + " is larger than 2 GiB; re-shard the checkpoint (max_shard_size=\"2GB\")");
      }
      return ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size());
    }
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
