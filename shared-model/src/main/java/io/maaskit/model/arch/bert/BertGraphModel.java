package io.maaskit.model.arch.bert;

import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.Pooling;
import io.maaskit.model.arch.SpanTokenizer;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.arch.TextScorer;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.engine.CompiledGraph;
import io.maaskit.model.engine.CompiledGraph.FloatTensor;
import io.maaskit.model.engine.CompiledGraph.LongTensor;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.pkg.ModelManifest;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A BERT-family package served from its compiled graph ({@link EncoderGraph#FILE}) on an engine
 * that runs graphs: the same tokenization as {@link BertModel}, the forward pass, pooling,
 * normalization and the classifier's softmax inside the graph. Needs only {@code config.json},
 * {@code tokenizer.json} and the graph, not the safetensors. It runs what it is given: a single
 * input unpadded, a batch padded to its longest (the task layer buckets batches by length). Its
 * tokens carry their spans, so the gradient-free explanation (occlusion) runs on the graph; the
 * gradient methods need the eager engine.
 */
final class BertGraphModel
    implements TextEncoder, TextClassifier, TextScorer, BertTokenLogits, SpanTokenizer {
  private final ModelManifest manifest;
  private final Engine engine;
  private final BertConfig config;
  private final BertTokenization tokens;
  private final CompiledGraph graph;
  private final Pooling pooling;
  private final long graphBytes;
  private final List<String> columns;

  BertGraphModel(
      ModelManifest manifest,
      Engine engine,
      BertConfig config,
      BertTokenization tokens,
      CompiledGraph graph,
      long graphBytes,
      List<String> columns) {
    this.columns = List.copyOf(columns);
    this.manifest = manifest;
    this.engine = engine;
    this.config = config;
    this.tokens = tokens;
    this.graph = graph;
    this.pooling = Pooling.of(manifest.pooling());
    this.graphBytes = graphBytes;
  }

  @Override
  public ModelManifest manifest() {
    return manifest;
  }

  @Override
  public Engine engine() {
    return engine;
  }

  /** The graph's initializers are the weights; the file's size is a close upper bound. */
  @Override
  public long weightBytes() {
    return graphBytes;
  }

  @Override
  public int dimension() {
    return config.hiddenSize();
  }

  @Override
  public List<String> labels() {
    return columns;
  }

  @Override
  public Tokens tokenize(String text) {
    return tokens.encode(text);
  }

  @Override
  public int maxLength() {
    return tokens.maxLength();
  }

  @Override
  public Explainable.Spans spans(String text) {
    return tokens.spans(text);
  }

  @Override
  public long activationElements(int batch, int length) {
    return (long) batch * config.numAttentionHeads() * length * length;
  }

  @Override
  public float[][] encode(List<Tokens> batch, Pooling pool, boolean normalize) {
    if (pool != pooling) {
      throw new IllegalArgumentException(
          "the compiled graph of "
              + manifest.id()
              + " pools by "
              + pooling
              + "; "
              + pool
              + " needs the eager engine");
    }
    String out = normalize ? EncoderGraph.SENTENCE_EMBEDDING : EncoderGraph.POOLED;
    return run(batch, out);
  }

  @Override
  public float[][] classify(List<Tokens> batch) {
    if (config.labels().isEmpty()) {
      throw new IllegalStateException("model " + manifest.id() + " has no classification head");
    }
    return run(batch, EncoderGraph.PROBABILITIES);
  }

  @Override
  public Pair tokenizePair(String query, String document) {
    return tokens.encodePair(query, document);
  }

  @Override
  public float[][] score(List<Tokens> batch) {
    if (config.labels().isEmpty()) {
      throw new IllegalStateException("model " + manifest.id() + " has no scoring head");
    }
    return run(batch, EncoderGraph.LOGITS);
  }

  @Override
  public BertTokenization tokenization() {
    return tokens;
  }

  @Override
  public float[][][] tokenLogits(List<Tokens> batch) {
    if (BertArchitecture.tokenHead(manifest) == null) {
      throw new IllegalStateException("model " + manifest.id() + " has no per-token head");
    }
    if (batch.isEmpty()) {
      return new float[0][][];
    }
    int len = batch.stream().mapToInt(Tokens::length).max().orElse(0);
    FloatTensor t = runRaw(batch, EncoderGraph.TOKEN_LOGITS);
    return unpad(t.data(), batch, len, columns.size());
  }

  /** A padded {@code [batch, len, width]} result to each sequence's own rows. */
  static float[][][] unpad(float[] flat, List<Tokens> batch, int len, int width) {
    float[][][] out = new float[batch.size()][][];
    for (int i = 0; i < out.length; i++) {
      int n = batch.get(i).length();
      out[i] = new float[n][];
      for (int t = 0; t < n; t++) {
        int at = (i * len + t) * width;
        out[i][t] = Arrays.copyOfRange(flat, at, at + width);
      }
    }
    return out;
  }

  private float[][] run(List<Tokens> batch, String output) {
    if (batch.isEmpty()) {
      return new float[0][];
    }
    return runRaw(batch, output).rows();
  }

  private FloatTensor runRaw(List<Tokens> batch, String output) {
    int b = batch.size();
    int len = batch.stream().mapToInt(Tokens::length).max().orElse(0);
    long[] ids = new long[b * len];
    long[] types = new long[b * len];
    long[] mask = new long[b * len];
    for (int i = 0; i < b; i++) {
      Tokens t = batch.get(i);
      System.arraycopy(t.ids(), 0, ids, i * len, t.length());
      System.arraycopy(t.typeIds(), 0, types, i * len, t.length());
      Arrays.fill(mask, i * len, i * len + t.length(), 1L);
    }
    Map<String, FloatTensor> r =
        graph.run(
            Map.of(
                EncoderGraph.INPUT_IDS, new LongTensor(ids, b, len),
                EncoderGraph.ATTENTION_MASK, new LongTensor(mask, b, len),
                EncoderGraph.TOKEN_TYPE_IDS, new LongTensor(types, b, len)),
            Set.of(output));
    return r.get(output);
  }

  @Override
  public void close() {
    graph.close();
    tokens.close();
  }
}
