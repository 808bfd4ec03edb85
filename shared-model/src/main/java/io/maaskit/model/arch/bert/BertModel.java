package io.maaskit.model.arch.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.Pooling;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.arch.TrainableEncoder;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.PackageJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded BERT-family package: tokenizer + encoder, and for classifier packages the {@code
 * classifier} head. Runs one padded batch at a time; which inputs form a batch is the task layer's
 * decision.
 */
final class BertModel
    implements TrainableEncoder, TextClassifier, TextScorer, BertTokenLogits, Explainable {
  private final ModelManifest manifest;
  private final EagerEngine engine;
  private final NDManager manager;
  private final BertTokenization tokens;
  private final BertEncoder encoder;
  private final BertHead head;
  private final BertTokenHead tokenHead;
  private final Pooling pooling;

  BertModel(
      ModelManifest manifest,
      EagerEngine engine,
      NDManager manager,
      BertTokenization tokens,
      BertEncoder encoder,
      BertHead head,
      BertTokenHead tokenHead) {
    this.tokenHead = tokenHead;
    this.manifest = manifest;
    this.engine = engine;
    this.manager = manager;
    this.tokens = tokens;
    this.encoder = encoder;
    this.head = head;
    this.pooling = Pooling.of(manifest.pooling());
  }

  @Override
  public ModelManifest manifest() {
    return manifest;
  }

  @Override
  public EagerEngine engine() {
    return engine;
  }

  @Override
  public long weightBytes() {
    return encoder.weightBytes();
  }

  @Override
  public int dimension() {
    return encoder.config().hiddenSize();
  }

  @Override
  public List<String> labels() {
    return tokenHead != null ? tokenHead.columns() : head == null ? List.of() : head.labels();
  }

  @Override
  public Tokens tokenize(String text) {
    return tokens.encode(text);
  }

  @Override
  public int maxLength() {
    return tokens.maxLength();
  }

  /** Attention scores are the largest intermediate: batch × heads × L × L. */
  @Override
  public long activationElements(int batch, int length) {
    return (long) batch * encoder.config().numAttentionHeads() * length * length;
  }

  @Override
  public float[][] encode(List<Tokens> batch, Pooling pool, boolean normalize) {
    return run(
        batch,
        (hidden, mask) -> {
          NDArray pooled = pool.apply(hidden, mask);
          return normalize ? Pooling.l2Normalize(pooled) : pooled;
        });
  }

  @Override
  public float[][] classify(List<Tokens> batch) {
    if (head == null) {
      throw new IllegalStateException("model " + manifest.id() + " has no classification head");
    }
    return run(batch, (hidden, mask) -> head.logits(hidden, mask, pooling::apply).softmax(-1));
  }

  @Override
  public Pair tokenizePair(String query, String document) {
    return tokens.encodePair(query, document);
  }

  @Override
  public float[][] score(List<Tokens> batch) {
    if (head == null) {
      throw new IllegalStateException("model " + manifest.id() + " has no scoring head");
    }
    return run(batch, (hidden, mask) -> head.logits(hidden, mask, pooling::apply));
  }

  @Override
  public BertTokenization tokenization() {
    return tokens;
  }

  @Override
  public float[][][] tokenLogits(List<Tokens> batch) {
    if (tokenHead == null) {
      throw new IllegalStateException("model " + manifest.id() + " has no per-token head");
    }
    engine.prepareThread();
    int len = batch.stream().mapToInt(Tokens::length).max().orElse(0);
    try (NDManager m = manager.newSubManager()) {
      NDList in = pad(batch, len, m);
      NDArray hidden = encoder.forward(in.get(0), in.get(1), in.get(2));
      NDArray logits = tokenHead.logits(hidden).toType(DataType.FLOAT32, false);
      return BertGraphModel.unpad(logits.toFloatArray(), batch, len, tokenHead.columns().size());
    }
  }

  @FunctionalInterface
  private interface Readout {
    NDArray apply(NDArray hidden, NDArray mask);
  }

  private float[][] run(List<Tokens> batch, Readout readout) {
    engine.prepareThread();
    int b = batch.size();
    int len = batch.stream().mapToInt(Tokens::length).max().orElse(0);
    try (NDManager m = manager.newSubManager()) {
      NDList in = pad(batch, len, m);
      NDArray hidden = encoder.forward(in.get(0), in.get(1), in.get(2));
      NDArray result = readout.apply(hidden, in.get(2)).toType(DataType.FLOAT32, false);
      float[] flat = result.toFloatArray();
      int width = (int) result.getShape().get(1);
      float[][] rows = new float[b][];
      for (int i = 0; i < b; i++) {
        rows[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
      }
      return rows;
    }
  }

  /** Token ids, type ids and attention mask, each (B, len) int64, padded with zeros. */
  private static NDList pad(List<Tokens> batch, int len, NDManager manager) {
    int b = batch.size();
    long[] ids = new long[b * len];
    long[] types = new long[b * len];
    long[] mask = new long[b * len];
    for (int i = 0; i < b; i++) {
      Tokens t = batch.get(i);
      System.arraycopy(t.ids(), 0, ids, i * len, t.length());
      System.arraycopy(t.typeIds(), 0, types, i * len, t.length());
      Arrays.fill(mask, i * len, i * len + t.length(), 1L);
    }
    Shape shape = new Shape(b, len);
    return new NDList(
        manager.create(ids, shape), manager.create(types, shape), manager.create(mask, shape));
  }

  // ------------------------------------------------------------------ explanations

  @Override
  public Spans spans(String text) {
    return tokens.spans(text);
  }

  @Override
  public long padId() {
    return tokens.padId();
  }

  @Override
  public NDArray inputEmbeddings(long[] ids, NDManager m) {
    return encoder.wordEmbeddings(m.create(ids, new Shape(1, ids.length)));
  }

  @Override
  public NDArray logitsFromEmbeddings(NDArray embeddings, Tokens t) {
    if (head == null) {
      throw new IllegalStateException("model " + manifest.id() + " has no classification head");
    }
    NDArray mask = ones(embeddings, t);
    NDArray hidden = encoder.forwardEmbeddings(embeddings, types(embeddings, t), mask);
    return head.logits(hidden, mask, pooling::apply);
  }

  @Override
  public NDArray pooledFromEmbeddings(NDArray embeddings, Tokens t) {
    NDArray mask = ones(embeddings, t);
    return pooling.apply(encoder.forwardEmbeddings(embeddings, types(embeddings, t), mask), mask);
  }

  @Override
  public NDArray attentions(Tokens t, NDManager m) {
    engine.prepareThread();
    NDList in = pad(List.of(t), t.length(), m);
    // (layers, 1, heads, L, L) -> (layers, heads, L, L)
    return encoder.attentions(in.get(0), in.get(1), in.get(2)).squeeze(1);
  }

  private static NDArray ones(NDArray embeddings, Tokens t) {
    long b = embeddings.getShape().get(0);
    return embeddings.getManager().ones(new Shape(b, t.length()), DataType.INT64);
  }

  private static NDArray types(NDArray embeddings, Tokens t) {
    long b = embeddings.getShape().get(0);
    return embeddings.getManager().create(t.typeIds(), new Shape(1, t.length())).repeat(0, b);
  }

  // ------------------------------------------------------------------ training

  @Override
  public int layers() {
    return encoder.config().numHiddenLayers();
  }

  @Override
  public NDList tokenizeBatch(List<String> texts, NDManager m) {
    List<Tokens> batch = tokenizeAll(texts);
    return pad(batch, batch.stream().mapToInt(Tokens::length).max().orElse(0), m);
  }

  @Override
  public NDList tokenizePairs(List<String> queries, List<String> documents, NDManager m) {
    List<Tokens> batch = new java.util.ArrayList<>(queries.size());
    for (int i = 0; i < queries.size(); i++) {
      batch.add(tokens.encodePair(queries.get(i), documents.get(i)).tokens());
    }
    return pad(batch, batch.stream().mapToInt(Tokens::length).max().orElse(0), m);
  }

  @Override
  public Partial forwardTo(NDList t, int upTo) {
    return encoder.forwardTo(t.get(0), t.get(1), t.get(2), upTo);
  }

  @Override
  public NDArray attentionBias(NDArray mask) {
    return encoder.attentionBias(mask);
  }

  @Override
  public NDArray forwardFrom(Partial partial, int from) {
    return encoder.forwardFrom(partial, from);
  }

  @Override
  public NDArray pool(NDArray hidden, NDArray mask) {
    return pooling.apply(hidden, mask);
  }

  @Override
  public Map<String, NDArray> lastLayerParameters(int n) {
    return encoder.lastLayerParametersByName(n);
  }

  @Override
  public void writeClassifierFiles(
      Architecture.PackageFiles base, List<String> labels, Map<String, Tensor> trained, Path dir)
      throws IOException {
    writeHeadFiles(base, labels, trained, dir, "ForSequenceClassification");
  }

  @Override
  public void writeTokenClassifierFiles(
      Architecture.PackageFiles base, List<String> labels, Map<String, Tensor> trained, Path dir)
      throws IOException {
    writeHeadFiles(base, labels, trained, dir, "ForTokenClassification");
  }

  /** The package's files with {@code trained} swapped in; {@code headClass} names the head. */
  private void writeHeadFiles(
      Architecture.PackageFiles base,
      List<String> labels,
      Map<String, Tensor> trained,
      Path dir,
      String headClass)
      throws IOException {
    Map<String, Tensor> tensors =
        new LinkedHashMap<>(
            Safetensors.read(
                base.bytes(BertArchitecture.WEIGHTS),
                manifest.id() + "/" + BertArchitecture.WEIGHTS));
    EncoderTensors names = encoder.names();
    String prefix = names.prefixIn(tensors::containsKey);
    // A base's own pooler or head would take precedence over (or clash with) the trained head.
    tensors.keySet().removeIf(names::isHead);
    for (Map.Entry<String, Tensor> e : trained.entrySet()) {
      String key = names.isHead(e.getKey()) ? e.getKey() : prefix + e.getKey();
      tensors.put(key, e.getValue());
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    Files.createDirectories(dir);
    Safetensors.write(dir.resolve(BertArchitecture.WEIGHTS), tensors, meta);
    Files.write(dir.resolve("config.json"), withLabels(base, labels, headClass));
    Files.write(
        dir.resolve(BertArchitecture.TOKENIZER), BertArchitecture.bytes(base, "tokenizer.json"));
  }

  /**
   * The base's {@code config.json} with the trained head's labels ({@code id2label}, {@code
   * label2id}) and its family's {@code *ForSequenceClassification} (or {@code
   * *ForTokenClassification}) as {@code architectures}; every other key as the base has it (so the
   * file stays the architecture's own).
   */
  private static byte[] withLabels(
      Architecture.PackageFiles base, List<String> labels, String headClass) throws IOException {
    JsonObject config = PackageJson.object(BertArchitecture.bytes(base, "config.json"));
    // The family's head class (BertModel -> BertForSequenceClassification, ...).
    JsonElement first =
        config.get("architectures") instanceof JsonArray a && !a.isEmpty() ? a.get(0) : null;
    String was = first == null || first.isJsonNull() ? "" : first.getAsString();
    int cut = was.indexOf("For") > 0 ? was.indexOf("For") : was.lastIndexOf("Model");
    config.remove("architectures");
    if (cut > 0) {
      JsonArray architectures = new JsonArray();
      architectures.add(was.substring(0, cut) + headClass);
      config.add("architectures", architectures);
    }
    JsonObject id2label = new JsonObject();
    JsonObject label2id = new JsonObject();
    for (int i = 0; i < labels.size(); i++) {
      id2label.addProperty(Integer.toString(i), labels.get(i));
      label2id.addProperty(labels.get(i), i);
    }
    config.add("id2label", id2label);
    config.add("label2id", label2id);
    return PackageJson.pretty(config);
  }

  @Override
  public void close() {
    tokens.close();
    manager.close();
  }
}
