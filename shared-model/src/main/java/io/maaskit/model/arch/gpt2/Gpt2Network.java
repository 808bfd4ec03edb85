package io.maaskit.model.arch.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import io.maaskit.model.arch.decoder.DecoderBatch;
import io.maaskit.model.arch.decoder.DecoderNetwork;
import io.maaskit.model.engine.Weights;

/**
 * The GPT-2 decoder stack on DJL's NDArray API: token plus learned position embeddings, then per
 * layer LayerNorm, multi-head causal self-attention, a residual, LayerNorm and a gelu_new MLP with
 * a residual; a final LayerNorm and the head tied to the token embeddings.
 *
 * <p>GPT-2 stores its projections as {@code Conv1D} weights, {@code (in, out)}: already the layout
 * {@code x @ W} needs, so they are used as stored. The query columns of {@code c_attn} are
 * pre-scaled by {@code 1/sqrt(headSize)} at load.
 */
final class Gpt2Network implements DecoderNetwork {
  private static final double GELU_C = Math.sqrt(2 / Math.PI);

  /** One block's weights. */
  private record Block(
      NDArray norm1Weight,
      NDArray norm1Bias,
      NDArray qkv,
      NDArray qkvBias,
      NDArray output,
      NDArray outputBias,
      NDArray norm2Weight,
      NDArray norm2Bias,
      NDArray up,
      NDArray upBias,
      NDArray down,
      NDArray downBias) {}

  private final Gpt2Config config;
  private final NDArray tokenEmbeddings;
  private final NDArray positionEmbeddings;
  private final Block[] blocks;
  private final NDArray finalNormWeight;
  private final NDArray finalNormBias;
  private final NDArray head;
  private final Shape normShape;
  private final long weightBytes;

  /**
   * @param names the checkpoint's tensor names
   * @param w the checkpoint's weights, by the names {@code names} gives
   */
  Gpt2Network(Gpt2Config config, Gpt2Tensors names, Weights w, DataType dtype) {
    this.config = config;
    int e = config.hiddenSize();
    float scale = (float) (1.0 / Math.sqrt(config.headSize()));
    normShape = new Shape(e);
    tokenEmbeddings = w.get(names.tokens());
    positionEmbeddings = w.get(names.positions());
    long elements = tokenEmbeddings.size() + positionEmbeddings.size();
    blocks = new Block[config.layers()];
    for (int i = 0; i < blocks.length; i++) {
      Gpt2Tensors.Layer l = names.layer(i);
      NDArray qkv = scaleQueries(outIn(w.get(l.qkv() + ".weight")), e, scale);
      NDArray qkvBias = scaleQueries(w.get(l.qkv() + ".bias"), e, scale);
      blocks[i] =
          new Block(
              w.get(l.norm1() + ".weight"),
              w.get(l.norm1() + ".bias"),
              qkv,
              qkvBias,
              outIn(w.get(l.output() + ".weight")),
              w.get(l.output() + ".bias"),
              w.get(l.norm2() + ".weight"),
              w.get(l.norm2() + ".bias"),
              outIn(w.get(l.up() + ".weight")),
              w.get(l.up() + ".bias"),
              outIn(w.get(l.down() + ".weight")),
              w.get(l.down() + ".bias"));
      Block b = blocks[i];
      elements += b.qkv.size() + b.output.size() + b.up.size() + b.down.size();
    }
    finalNormWeight = w.get(names.finalNorm() + ".weight");
    finalNormBias = w.get(names.finalNorm() + ".bias");
    if (config.tied() || !w.has(Gpt2Tensors.LM_HEAD)) {
      head = tokenEmbeddings;
    } else {
      head = w.get(Gpt2Tensors.LM_HEAD);
      elements += head.size();
    }
    weightBytes = elements * dtype.getNumOfBytes();
  }

  /** A Conv1D weight {@code (in, out)} as a contiguous {@code (out, in)} matrix. */
  private static NDArray outIn(NDArray conv1d) {
    long in = conv1d.getShape().get(0);
    long out = conv1d.getShape().get(1);
    // Flattening the transposed view cannot be a view: it copies into row-major (out, in).
    NDArray t = conv1d.transpose().reshape(in * out).reshape(out, in);
    conv1d.close();
    return t;
  }

  /** Multiplies the first {@code e} entries of the first axis (the query part) by {@code scale}. */
  private static NDArray scaleQueries(NDArray qkv, int e, float scale) {
    int axis = 0;
    NDList parts = qkv.split(new long[] {e}, axis);
    NDArray q = parts.get(0).mul(scale);
    NDArray scaled = NDArrays.concat(new NDList(q, parts.get(1)), axis);
    q.close();
    parts.close();
    qkv.close();
    return scaled;
  }

  @Override
  public int layers() {
    return blocks.length;
  }

  @Override
  public int kvHeads() {
    return config.heads();
  }

  @Override
  public int heads() {
    return config.heads();
  }

  @Override
  public int headSize() {
    return config.headSize();
  }

  @Override
  public int vocabSize() {
    return config.vocabSize();
  }

  @Override
  public int contextLength() {
    return config.positions();
  }

  @Override
  public long weightBytes() {
    return weightBytes;
  }

  @Override
  public NDArray logits(DecoderBatch batch) {
    NDManager m = batch.manager();
    int t = batch.rows();
    int h = config.heads();
    int d = config.headSize();
    NDArray x =
        tokenEmbeddings
            .get(m, new NDIndex("{}", batch.tokenArray()))
            .add(positionEmbeddings.get(m, new NDIndex("{}", batch.positionArray())));
    for (int i = 0; i < blocks.length; i++) {
      Block b = blocks[i];
      NDList qkv =
          batch
              .linear(layerNorm(x, b.norm1Weight, b.norm1Bias), b.qkv)
              .add(b.qkvBias)
              .reshape(t, 3 * h, d)
              .split(3, 1);
      NDArray attended = batch.attend(i, qkv.get(0), qkv.get(1), qkv.get(2));
      x = x.add(batch.linear(attended, b.output).add(b.outputBias));
      NDArray up = batch.linear(layerNorm(x, b.norm2Weight, b.norm2Bias), b.up).add(b.upBias);
      x = x.add(batch.linear(geluNew(up), b.down).add(b.downBias));
    }
    return batch.linear(layerNorm(batch.lastRows(x), finalNormWeight, finalNormBias), head);
  }

  private NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
    return LayerNorm.layerNorm(x, normShape, weight, bias, (float) config.eps()).singletonOrThrow();
  }

  /** GPT-2's tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  private static NDArray geluNew(NDArray x) {
    NDArray inner = x.mul(x).mul(x).mul(0.044715).add(x).mul(GELU_C);
    return inner.tanh().add(1).mul(x).mul(0.5);
  }
}
