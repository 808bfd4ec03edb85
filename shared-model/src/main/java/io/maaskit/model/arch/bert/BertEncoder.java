package io.maaskit.model.arch.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import io.maaskit.model.arch.TrainableEncoder.Partial;
import io.maaskit.model.engine.Weights;

/**
 * The BERT encoder stack on DJL NDArrays: token + position + type embeddings, then {@code
 * num_hidden_layers} blocks of multi-head self-attention (with the padding mask) and a GELU
 * feed-forward, each followed by a residual LayerNorm (post-LN, as in BERT).
 *
 * <p>Each layer runs in its own {@link NDScope} so its intermediates are freed as soon as the next
 * layer's input exists; keeping them all alive costs gigabytes at batch 256. The weights belong to
 * the manager of the {@link Weights} they came from; closing that manager frees them.
 */
final class BertEncoder {
  private final BertConfig config;
  private final EncoderTensors names;
  private final int positionOffset;
  private final NDArray wordEmb;
  private final NDArray posEmb;
  private final NDArray typeEmb;
  private final NDArray embLnW;
  private final NDArray embLnB;
  private final Layer[] layers;
  private final long weightBytes;

  /**
   * sqrt(head size), the attention scores' divisor, as a tensor that lives as long as the weights.
   * Never {@code div(Number)}: DJL wraps the number in a tensor over a Java direct buffer without
   * copying it and closes it when the call returns, while autograd keeps that tensor for the
   * backward pass; once a garbage collection frees the buffer, the backward pass divides by
   * whatever the allocator wrote there (Integrated Gradients answered non-finite attributions on
   * most long inputs, and fine-tuning would take garbage gradients). Allocated by the engine, not
   * over a Java buffer.
   */
  private final NDArray scoreScale;

  private record Layer(
      NDArray qW,
      NDArray qB,
      NDArray kW,
      NDArray kB,
      NDArray vW,
      NDArray vB,
      NDArray aoW,
      NDArray aoB,
      NDArray aLnW,
      NDArray aLnB,
      NDArray iW,
      NDArray iB,
      NDArray oW,
      NDArray oB,
      NDArray oLnW,
      NDArray oLnB) {}

  /**
   * Loads the encoder's tensors by {@code names} (Hugging Face names, without the base model's
   * prefix).
   */
  public BertEncoder(BertConfig config, EncoderTensors names, Weights w) {
    this.config = config;
    this.names = names;
    this.positionOffset = names.positionOffset(config);
    wordEmb = w.get(names.wordEmbeddings());
    posEmb = w.get(names.positionEmbeddings());
    typeEmb = names.typeTable() ? w.get(names.typeEmbeddings()) : null;
    embLnW = w.get(names.embeddingNorm() + ".weight");
    embLnB = w.get(names.embeddingNorm() + ".bias");
    long bytes = wordEmb.size() + posEmb.size() + (typeEmb == null ? 0 : typeEmb.size());
    layers = new Layer[config.numHiddenLayers()];
    for (int i = 0; i < layers.length; i++) {
      String p = names.layers() + i + ".";
      NDArray[] t = names.layerTensors().stream().map(n -> w.get(p + n)).toArray(NDArray[]::new);
      layers[i] =
          new Layer(
              t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12],
              t[13], t[14], t[15]);
      bytes += layers[i].qW.size() * 4 + layers[i].iW.size() * 2 + layers[i].aoW.size();
    }
    this.weightBytes = bytes * wordEmb.getDataType().getNumOfBytes();
    this.scoreScale =
        wordEmb
            .getManager()
            .full(new Shape(), (float) Math.sqrt(config.headSize()), wordEmb.getDataType());
    if (wordEmb.getShape().get(1) != config.hiddenSize()) {
      throw new IllegalArgumentException(
          "word embeddings have width "
              + wordEmb.getShape().get(1)
              + " but config.json says hidden_size "
              + config.hiddenSize());
    }
  }

  /** The table of names this encoder was loaded by. */
  public EncoderTensors names() {
    return names;
  }

  /** The config. */
  public BertConfig config() {
    return config;
  }

  /** Approximate bytes of weights in engine memory. */
  public long weightBytes() {
    return weightBytes;
  }

  /** Only the last {@code n} layers' weights require gradients (fine-tuning); others are frozen. */
  public java.util.List<NDArray> lastLayerParameters(int n) {
    return new java.util.ArrayList<>(lastLayerParametersByName(n).values());
  }

  /**
   * The weights of the last {@code n} layers keyed by their Hugging Face names (without the {@code
   * bert.} prefix), in layer order: what fine-tuning updates and writes back into a package.
   */
  public java.util.Map<String, NDArray> lastLayerParametersByName(int n) {
    java.util.Map<String, NDArray> out = new java.util.LinkedHashMap<>();
    java.util.List<String> tensorNames = names.layerTensors();
    for (int i = Math.max(0, layers.length - n); i < layers.length; i++) {
      Layer l = layers[i];
      NDArray[] params = {
        l.qW, l.qB, l.kW, l.kB, l.vW, l.vB, l.aoW, l.aoB, l.aLnW, l.aLnB, l.iW, l.iB, l.oW, l.oB,
        l.oLnW, l.oLnB
      };
      for (int j = 0; j < params.length; j++) {
        out.put(names.layers() + i + "." + tensorNames.get(j), params[j]);
      }
    }
    return out;
  }

  /**
   * Runs the encoder.
   *
   * @param ids token ids (B, L) int64
   * @param types token type ids (B, L) int64
   * @param mask attention mask (B, L), 1 for real tokens
   * @return last hidden state (B, L, H) in the compute dtype, owned by {@code ids}' manager
   */
  public NDArray forward(NDArray ids, NDArray types, NDArray mask) {
    return forwardFrom(forwardTo(ids, types, mask, layers.length), layers.length);
  }

  /**
   * Runs the embeddings and layers {@code [0, upTo)}. With {@link #forwardFrom} this splits the
   * stack, so fine-tuning can run the frozen lower part without recording gradients and only the
   * top layers with autograd on.
   */
  public Partial forwardTo(NDArray ids, NDArray types, NDArray mask, int upTo) {
    if (upTo < 0 || upTo > layers.length) {
      throw new IllegalArgumentException("upTo must be in [0, " + layers.length + "], got " + upTo);
    }
    NDArray x;
    NDArray maskBias;
    try (NDScope scope = new NDScope()) {
      x = embed(wordEmbeddings(ids), types);
      maskBias = attentionBias(mask);
      NDScope.unregister(x, maskBias);
    }
    return new Partial(runLayers(x, maskBias, 0, upTo, null), maskBias);
  }

  /** The token-embedding lookup of {@code ids} (B, L): (B, L, H), what attribution perturbs. */
  public NDArray wordEmbeddings(NDArray ids) {
    return Embedding.embedding(ids, wordEmb, SparseFormat.DENSE).singletonOrThrow();
  }

  /**
   * Runs the whole stack from token embeddings (B, L, H) instead of ids: position and type
   * embeddings are added as usual. Differentiable in {@code words}.
   *
   * @return last hidden state (B, L, H), owned by {@code words}' manager
   */
  public NDArray forwardEmbeddings(NDArray words, NDArray types, NDArray mask) {
    NDArray x;
    NDArray maskBias;
    try (NDScope scope = new NDScope()) {
      x = embed(words, types);
      maskBias = attentionBias(mask);
      NDScope.unregister(x, maskBias);
    }
    NDArray out = runLayers(x, maskBias, 0, layers.length, null);
    maskBias.close();
    return out;
  }

  /**
   * Runs the stack and keeps every layer's attention probabilities.
   *
   * @return (layers, B, heads, L, L) stacked, owned by {@code ids}' manager
   */
  public NDArray attentions(NDArray ids, NDArray types, NDArray mask) {
    java.util.List<NDArray> probs = new java.util.ArrayList<>(layers.length);
    Partial p = forwardTo(ids, types, mask, 0);
    runLayers(p.hidden(), p.maskBias(), 0, layers.length, probs).close();
    p.maskBias().close();
    return NDArrays.stack(new ai.djl.ndarray.NDList(probs));
  }

  private NDArray embed(NDArray words, NDArray types) {
    NDManager manager = words.getManager();
    long seq = words.getShape().get(1);
    if (seq + positionOffset > posEmb.getShape().get(0)) {
      throw new IllegalArgumentException(
          "sequence of "
              + seq
              + " tokens exceeds max_position_embeddings "
              + posEmb.getShape().get(0)
              + (positionOffset > 0 ? " less the position offset " + positionOffset : ""));
    }
    NDArray positions =
        manager.arange(positionOffset, positionOffset + (int) seq, 1, DataType.INT64).expandDims(0);
    NDArray emb = words;
    if (typeEmb != null) {
      // Without token types (RoBERTa) every token adds the table's first row, as Hugging Face's
      // zero token_type_ids do.
      NDArray rows = names.tokenTypes() ? types : types.zerosLike();
      emb = emb.add(Embedding.embedding(rows, typeEmb, SparseFormat.DENSE).singletonOrThrow());
    }
    emb = emb.add(Embedding.embedding(positions, posEmb, SparseFormat.DENSE).singletonOrThrow());
    return layerNorm(emb, embLnW, embLnB);
  }

  /**
   * The additive attention bias of a padding mask (B, L): 0 for real tokens, a large negative for
   * padding, shaped (B, 1, 1, L) to broadcast over heads and query positions. With it, a {@link
   * Partial} can be rebuilt from hidden states cached earlier.
   */
  public NDArray attentionBias(NDArray mask) {
    DataType dt = wordEmb.getDataType();
    float neg = dt == DataType.FLOAT32 ? -1e9f : -1e4f;
    return mask.toType(dt, false)
        .neg()
        .add(1)
        .mul(neg)
        .reshape(mask.getShape().get(0), 1, 1, mask.getShape().get(1));
  }

  /**
   * Runs layers {@code [from, num_hidden_layers)} on a {@link #forwardTo} result, consuming it (its
   * hidden state is closed once the next layer's exists, and its mask bias at the end). Closing
   * intermediates is safe under autograd: the recorded graph keeps its own references to what
   * backward needs.
   *
   * @return last hidden state (B, L, H), owned by the input's manager
   */
  public NDArray forwardFrom(Partial partial, int from) {
    if (from < 0 || from > layers.length) {
      throw new IllegalArgumentException("from must be in [0, " + layers.length + "], got " + from);
    }
    NDArray out = runLayers(partial.hidden(), partial.maskBias(), from, layers.length, null);
    partial.maskBias().close();
    return out;
  }

  private NDArray runLayers(
      NDArray x, NDArray maskBias, int from, int to, java.util.List<NDArray> probs) {
    for (int i = from; i < to; i++) {
      NDArray next;
      try (NDScope scope = new NDScope()) {
        next = layer(layers[i], x, maskBias, probs);
        NDScope.unregister(next);
        if (probs != null) {
          NDScope.unregister(probs.get(probs.size() - 1));
        }
      }
      x.close();
      x = next;
    }
    return x;
  }

  private NDArray layer(Layer l, NDArray x, NDArray maskBias, java.util.List<NDArray> keep) {
    Shape s = x.getShape();
    long b = s.get(0);
    long seq = s.get(1);
    int heads = config.numAttentionHeads();
    int hs = config.headSize();
    NDArray q = heads(linear(x, l.qW, l.qB), b, seq, heads, hs);
    NDArray k = heads(linear(x, l.kW, l.kB), b, seq, heads, hs);
    NDArray v = heads(linear(x, l.vW, l.vB), b, seq, heads, hs);
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div(scoreScale).add(maskBias);
    NDArray probs = scores.softmax(-1);
    if (keep != null) {
      keep.add(probs.toType(DataType.FLOAT32, true));
    }
    NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, seq, (long) heads * hs);
    NDArray attn = layerNorm(linear(ctx, l.aoW, l.aoB).add(x), l.aLnW, l.aLnB);
    NDArray inter = Activation.gelu(linear(attn, l.iW, l.iB));
    return layerNorm(linear(inter, l.oW, l.oB).add(attn), l.oLnW, l.oLnB);
  }

  private static NDArray heads(NDArray t, long b, long seq, int heads, int hs) {
    return t.reshape(b, seq, heads, hs).transpose(0, 2, 1, 3);
  }

  static NDArray linear(NDArray x, NDArray w, NDArray bias) {
    return Linear.linear(x, w, bias).singletonOrThrow();
  }

  private NDArray layerNorm(NDArray x, NDArray w, NDArray b) {
    return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), w, b, (float) config.eps())
        .singletonOrThrow();
  }
}
