package io.maaskit.model.arch.bert;

import ai.djl.ndarray.NDManager;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TensorLayout;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Weights;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Registers the {@code bert} architecture (BERT, MiniLM, BGE, E5 and other BERT-family encoders):
 * {@code config.json} + {@code tokenizer.json} + {@code model.safetensors}, as an encoder, and as a
 * classifier when the package has a {@code classifier} head, or as a reranker when that head has a
 * single logit (a cross-encoder: Hugging Face's {@code BertForSequenceClassification} with {@code
 * num_labels: 1}); with a per-token head as a token classifier ({@code BertForTokenClassification})
 * or a question answerer ({@code BertForQuestionAnswering}).
 */
public final class BertArchitecture implements Architecture {
  /** Weights file name inside a package. */
  public static final String WEIGHTS = "model.safetensors";

  /** Tokenizer file name inside a package. */
  public static final String TOKENIZER = "tokenizer.json";

  @Override
  public String name() {
    return "bert";
  }

  @Override
  public Set<String> huggingFaceModelTypes() {
    return Set.of("bert");
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(
        Capability.ENCODER,
        Capability.CLASSIFIER,
        Capability.RERANKER,
        Capability.TOKEN_CLASSIFIER,
        Capability.QUESTION_ANSWERER);
  }

  /** The compiled graph where the package lists {@link EncoderGraph#FILE}; eager from weights. */
  @Override
  public Set<Form> forms(ModelManifest manifest) {
    return manifest.file(WEIGHTS) != null
        ? Form.graphIfListed(manifest, Form.EAGER)
        : Form.graphIfListed(manifest);
  }

  /**
   * On an engine that {@link Engine#runsGraphs() runs graphs}, the package loads from {@link
   * EncoderGraph#FILE} (and never reads the safetensors); otherwise the eager NDArray model runs.
   */
  @Override
  public LoadedModel load(ModelManifest manifest, PackageFiles files, Engine runtime)
      throws IOException {
    BertConfig config = BertConfig.parse(bytes(files, "config.json"));
    if (runtime.runsGraphs()) {
      return loadGraph(manifest, files, runtime, config);
    }
    EagerEngine engine = EagerEngine.of(runtime);
    Map<String, Safetensors.Tensor> tensors = Safetensors.read(files.bytes(WEIGHTS), WEIGHTS);
    String prefix = prefix(tensors);
    int maxLen = Math.min(manifest.maxSequenceLength(), config.maxPositionEmbeddings());
    NDManager manager = engine.newManager();
    BertTokenization tokenization = null;
    try {
      tokenization = new BertTokenization(files.bytes(TOKENIZER), maxLen);
      Weights encoderWeights = new Weights(tensors, manager, engine.computeType(), prefix);
      BertEncoder encoder = new BertEncoder(config, encoderWeights);
      BertHead head = null;
      if (hasHead(manifest)) {
        checkHead(manifest, config);
        head =
            new BertHead(
                new Weights(tensors, manager, engine.computeType(), ""), prefix, config.labels());
      }
      BertTokenHead tokenHead = null;
      String tokenHeadName = tokenHead(manifest);
      if (tokenHeadName != null) {
        tokenHead =
            new BertTokenHead(
                new Weights(tensors, manager, engine.computeType(), ""),
                tokenHeadName,
                tokenColumns(manifest, config));
      }
      return new BertModel(manifest, engine, manager, tokenization, encoder, head, tokenHead);
    } catch (IOException | RuntimeException e) {
      // Never leave a half-loaded model's native memory behind.
      if (tokenization != null) {
        tokenization.close();
      }
      manager.close();
      throw e;
    }
  }

  private static LoadedModel loadGraph(
      ModelManifest manifest, PackageFiles files, Engine engine, BertConfig config)
      throws IOException {
    if (hasHead(manifest)) {
      checkHead(manifest, config);
    }
    List<String> columns =
        tokenHead(manifest) != null ? tokenColumns(manifest, config) : config.labels();
    int maxLen = Math.min(manifest.maxSequenceLength(), config.maxPositionEmbeddings());
    BertTokenization tokenization = new BertTokenization(files.bytes(TOKENIZER), maxLen);
    try {
      ByteBuffer onnx = files.bytes(EncoderGraph.FILE);
      long size = onnx.remaining();
      return new BertGraphModel(
          manifest,
          engine,
          config,
          tokenization,
          engine.openGraph(onnx, manifest.id().toString()),
          size,
          columns);
    } catch (IOException | RuntimeException e) {
      tokenization.close();
      throw e;
    }
  }

  /** Whether the package's manifest asks for the {@code classifier} head (classifier, reranker). */
  public static boolean hasHead(ModelManifest manifest) {
    return manifest.capabilities().contains(Capability.CLASSIFIER)
        || manifest.capabilities().contains(Capability.RERANKER);
  }

  /**
   * The tensor prefix of the package's per-token head ({@code classifier} of a token classifier,
   * {@code qa_outputs} of a question answerer), or null when it has none.
   */
  public static String tokenHead(ModelManifest manifest) {
    if (manifest.capabilities().contains(Capability.TOKEN_CLASSIFIER)) {
      return BertTokenHead.TOKEN_CLASSIFIER;
    }
    return manifest.capabilities().contains(Capability.QUESTION_ANSWERER)
        ? BertTokenHead.QUESTION_ANSWERER
        : null;
  }

  /**
   * The per-token head's columns: a token classifier's labels ({@code id2label}), a question
   * answerer's {@code start} and {@code end}.
   */
  public static List<String> tokenColumns(ModelManifest manifest, BertConfig config)
      throws IOException {
    if (manifest.capabilities().contains(Capability.QUESTION_ANSWERER)) {
      return List.of("start", "end");
    }
    if (config.labels().isEmpty()) {
      throw new IOException(
          "token classifier package " + manifest.id() + " has no id2label in config.json");
    }
    return config.labels();
  }

  /** A head needs its labels; a reranker's has exactly one logit. */
  private static void checkHead(ModelManifest manifest, BertConfig config) throws IOException {
    if (config.labels().isEmpty()) {
      throw new IOException(
          "package " + manifest.id() + " has a classifier head but no id2label in config.json");
    }
    if (manifest.capabilities().contains(Capability.RERANKER) && config.labels().size() != 1) {
      throw new IOException(
          "reranker package "
              + manifest.id()
              + " needs a head with one logit; config.json lists "
              + config.labels().size()
              + " labels");
    }
  }

  /**
   * Every linear weight of the encoder stack (and the pooler and head when present) is a {@code
   * LINEAR_WEIGHT}; the word, position and token-type tables are {@code EMBEDDING_TABLE}s.
   */
  @Override
  public TensorLayout layout(PackageFiles files) throws IOException {
    BertConfig config = BertConfig.parse(bytes(files, "config.json"));
    Map<String, Safetensors.Tensor> tensors = Safetensors.read(files.bytes(WEIGHTS), WEIGHTS);
    String p = prefix(tensors);
    Map<String, TensorLayout.Role> roles = new LinkedHashMap<>();
    for (String t : new String[] {"word", "position", "token_type"}) {
      roles.put(p + "embeddings." + t + "_embeddings.weight", TensorLayout.Role.EMBEDDING_TABLE);
    }
    String[] linear = {
      "attention.self.query", "attention.self.key", "attention.self.value",
      "attention.output.dense", "intermediate.dense", "output.dense"
    };
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      for (String l : linear) {
        roles.put(p + "encoder.layer." + i + "." + l + ".weight", TensorLayout.Role.LINEAR_WEIGHT);
      }
    }
    return new TensorLayout(Map.copyOf(roles));
  }

  /**
   * {@code bert.} when the weights come from a {@code BertModel}-prefixed checkpoint, else empty.
   */
  static String prefix(Map<String, Safetensors.Tensor> tensors) {
    return tensors.containsKey("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  }

  static byte[] bytes(PackageFiles files, String path) throws IOException {
    ByteBuffer b = files.bytes(path).duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
