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
import io.maaskit.tools.onnx.CompileOptions;
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
 * tokenizer.json}) of a BERT-family encoder or {@code BertForSequenceClassification}, or of a
 * decoder the registered architectures load (picked by {@code model_type}: Llama, Mistral, Qwen2,
 * GPT-2), single or sharded. Pooling is taken from a sentence-transformers {@code
 * 1_Pooling/config.json} when present.
 */
public final class HfDirectoryImporter {
  private static final String WEIGHTS = "model.safetensors";

  /** The head of a Hugging Face {@code *ForQuestionAnswering} checkpoint: start and end logits. */
  private static final String QA_WEIGHT = "qa_outputs.weight";

  private HfDirectoryImporter() {}

  /** Imports {@code dir} into {@code outDir}; returns the sealed manifest. */
  public static ModelManifest importModel(
      Path dir, Path outDir, ImportOptions options, Progress progress) throws IOException {
    return importModel(dir, outDir, options, progress, MAX_FILE, SHARD_BYTES);
  }

  /**
   * {@link #importModel(Path, Path, ImportOptions, Progress)} with other limits: a decoder weights
   * file larger than {@code maxFile} is re-sharded into files of at most {@code shardBytes}.
   */
  static ModelManifest importModel(
      Path dir,
      Path outDir,
      ImportOptions options,
      Progress progress,
      long maxFile,
      long shardBytes)
      throws IOException {
    JsonNode peek = readConfig(dir);
    Architecture peeked = architecture(dir, peek);
    if (peeked.capabilities().contains(Capability.GENERATOR)) {
      return importDecoder(dir, outDir, options, progress, peek, peeked, maxFile, shardBytes);
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
            + config.path("num_hidden_layers").asInt(config.path("n_layers").asInt())
            + " layers, hidden "
            + config.path("hidden_size").asInt(config.path("dim").asInt()),
        1,
        3);
    Map<String, Safetensors.Tensor> tensors = Safetensors.read(dir.resolve(WEIGHTS));
    // What the checkpoint must hold is the architecture's declared layout, not a name guess.
    Architecture.PackageFiles files =
        path -> ByteBuffer.wrap(Files.readAllBytes(dir.resolve(path)));
    TensorLayout layout = arch.layout(files);
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
    // Per-token heads are told apart from a sequence head by the class that saved them.
    String saved = config.path("architectures").path(0).asText("");
    boolean tokenClassifier =
        saved.endsWith("ForTokenClassification")
            && tensors.containsKey(TrainableEncoder.HEAD_WEIGHT)
            && config.path("id2label").size() > 0;
    boolean answerer = saved.endsWith("ForQuestionAnswering") && tensors.containsKey(QA_WEIGHT);
    // A sequence-classification head: Hugging Face's *ForSequenceClassification (a checkpoint
    // without its head's tensors is refused when its graph is compiled below), or a head this kit
    // trained.
    boolean head =
        !tokenClassifier
            && !answerer
            && config.path("id2label").size() > 0
            && (sequenceClassification(config)
                || tensors.containsKey(TrainableEncoder.HEAD_WEIGHT));
    // One logit (num_labels: 1) is a cross-encoder's relevance score, not a label distribution.
    boolean reranker = head && config.path("id2label").size() == 1;
    boolean classifier = head && !reranker;
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
            tokenClassifier
                ? ModelManifest.TASK_TOKEN_CLASSIFICATION
                : answerer
                    ? ModelManifest.TASK_QUESTION_ANSWERING
                    : reranker
                        ? ModelManifest.TASK_RERANKING
                        : classifier
                            ? ModelManifest.TASK_CLASSIFICATION
                            : ModelManifest.TASK_EMBEDDING,
            tokenClassifier
                ? List.of(Capability.TOKEN_CLASSIFIER)
                : answerer
                    ? List.of(Capability.QUESTION_ANSWERER)
                    : reranker
                        ? List.of(Capability.RERANKER)
                        : classifier
                            ? List.of(Capability.ENCODER, Capability.CLASSIFIER)
                            : List.of(Capability.ENCODER),
            arch.name(),
            pooling,
            options.normalize(),
            options.maxSequenceLength() == null
                ? arch.contextLength(files)
                    .orElse(config.path("max_position_embeddings").asInt(512))
                : options.maxSequenceLength(),
            "float32",
            null,
            List.of(),
            Map.of(),
            source);
    if (OnnxCompiler.supports(draft)) {
      OnnxCompiler.writeGraph(outDir, draft, CompileOptions.defaults(), progress);
    }
    ModelManifest sealed = ModelPackage.seal(outDir, draft);
    progress.update("sealed package " + sealed.id(), 3, 3);
    return sealed;
  }

  /** Whether config.json's {@code architectures} names a {@code *ForSequenceClassification}. */
  static boolean sequenceClassification(JsonNode config) {
    for (JsonNode n : config.path("architectures")) {
      if (n.asText().endsWith("ForSequenceClassification")) {
        return true;
      }
    }
    return false;
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
   * present, copied as they are (a weights file over 2 GiB, more than one mapping covers, is
   * re-sharded into files of at most 1 GiB with an index). Weights keep their stored dtype (fp32,
   * bf16 or fp16; the loader converts to the engine's compute dtype), so a bf16 checkpoint does not
   * double in size; a checkpoint mixing dtypes is refused. The context length (the manifest's
   * {@code maxSequenceLength}) is the config's {@code max_position_embeddings} (GPT-2: {@code
   * n_positions}) unless given. When an ONNX compiler handles the architecture and the float32
   * graph fits one file (under 2 GiB), the package also gets its compiled decoder graph.
   */
  private static ModelManifest importDecoder(
      Path dir,
      Path outDir,
      ImportOptions options,
      Progress progress,
      JsonNode config,
      Architecture arch,
      long maxFile,
      long shardBytes)
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
    // Each tensor mapped on its own: a checkpoint file may exceed the 2 GiB of one mapping.
    Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
    boolean oversized = false;
    for (String f : weightFiles) {
      if (f.endsWith(".safetensors")) {
        tensors.putAll(mapTensors(dir.resolve(f)));
        oversized |= Files.size(dir.resolve(f)) > maxFile;
      }
    }
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
    for (String f : copied) {
      Files.copy(dir.resolve(f), outDir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (oversized) {
      copied.addAll(reshard(tensors, outDir, shardBytes));
    } else {
      for (String f : weightFiles) {
        Files.copy(dir.resolve(f), outDir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
      copied.addAll(weightFiles);
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
    long graphBytes = 0;
    for (Safetensors.Tensor t : tensors.values()) {
      graphBytes += t.elementCount() * Float.BYTES;
    }
    // A self-contained ONNX file holds at most 2 GiB (protobuf's limit): a larger float32 graph
    // is left out, and the package serves on the eager engine (or from a quantized package).
    if (OnnxCompiler.supports(draft) && graphBytes < MAX_FILE) {
      OnnxCompiler.writeGraph(outDir, draft, CompileOptions.defaults(), progress);
    }
    ModelManifest sealed = ModelPackage.seal(outDir, draft);
    progress.update("sealed package " + sealed.id(), 3, 3);
    return sealed;
  }

  /** Largest weights file a package holds: what one memory mapping can cover. */
  static final long MAX_FILE = Integer.MAX_VALUE;

  /** Shard size the importer writes when it must split a checkpoint. */
  static final long SHARD_BYTES = 1L << 30;

  /**
   * The tensors of a safetensors file of any size: the header read once, each tensor's bytes mapped
   * separately (so only a single tensor must stay under 2 GiB).
   */
  static Map<String, Safetensors.Tensor> mapTensors(Path file) throws IOException {
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      ch.read(len, 0);
      long headerLength = len.getLong(0);
      if (headerLength <= 0 || headerLength > 100L * 1024 * 1024 || 8 + headerLength > ch.size()) {
        throw new IOException(file + ": invalid safetensors header length " + headerLength);
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLength);
      ch.read(header, 8);
      JsonNode json = new ObjectMapper().readTree(header.array());
      long base = 8 + headerLength;
      Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
      for (java.util.Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          continue;
        }
        JsonNode info = e.getValue();
        long[] shape = new long[info.path("shape").size()];
        long expected = Safetensors.elementBytes(info.path("dtype").asText());
        for (int i = 0; i < shape.length; i++) {
          shape[i] = info.path("shape").get(i).asLong();
          expected *= shape[i];
        }
        long begin = info.path("data_offsets").get(0).asLong();
        long end = info.path("data_offsets").get(1).asLong();
        if (end - begin != expected || base + end > ch.size() || expected > MAX_FILE) {
          throw new IOException(file + ": tensor " + e.getKey() + " has inconsistent offsets");
        }
        ByteBuffer data =
            ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, base + begin, end - begin)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.put(e.getKey(), new Safetensors.Tensor(info.path("dtype").asText(), shape, data));
      }
      return out;
    }
  }

  /**
   * Writes {@code tensors} as shards of at most {@code shardBytes} (a tensor larger than that gets
   * a shard of its own) and their index; returns the files written.
   */
  static List<String> reshard(Map<String, Safetensors.Tensor> tensors, Path outDir, long shardBytes)
      throws IOException {
    List<Map<String, Safetensors.Tensor>> shards = new java.util.ArrayList<>();
    Map<String, Safetensors.Tensor> current = new LinkedHashMap<>();
    long bytes = 0;
    for (Map.Entry<String, Safetensors.Tensor> e : new java.util.TreeMap<>(tensors).entrySet()) {
      long size = e.getValue().data().remaining();
      if (!current.isEmpty() && bytes + size > shardBytes) {
        shards.add(current);
        current = new LinkedHashMap<>();
        bytes = 0;
      }
      current.put(e.getKey(), e.getValue());
      bytes += size;
    }
    shards.add(current);
    List<String> written = new java.util.ArrayList<>();
    Map<String, String> weightMap = new java.util.TreeMap<>();
    long total = 0;
    for (int i = 0; i < shards.size(); i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      Safetensors.write(outDir.resolve(name), shards.get(i), Map.of("format", "pt"));
      for (Map.Entry<String, Safetensors.Tensor> e : shards.get(i).entrySet()) {
        weightMap.put(e.getKey(), name);
        total += e.getValue().data().remaining();
      }
      written.add(name);
    }
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("metadata", Map.of("total_size", total));
    index.put("weight_map", weightMap);
    Files.write(
        outDir.resolve(HfCheckpoint.INDEX),
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
    written.add(0, HfCheckpoint.INDEX);
    return written;
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
