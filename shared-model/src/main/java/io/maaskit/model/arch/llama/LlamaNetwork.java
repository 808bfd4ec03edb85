package io.maaskit.model.arch.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.maaskit.model.arch.decoder.DecoderBatch;
import io.maaskit.model.arch.decoder.DecoderNetwork;
import io.maaskit.model.engine.Weights;

/**
 * The Llama decoder stack on DJL's NDArray API: token embeddings, then per layer RMSNorm,
 * grouped-query self-attention with rotary position embeddings (RoPE, {@code rope_theta}), a
 * residual, RMSNorm and a SiLU-gated MLP with a residual; a final RMSNorm and the LM head (the
 * embedding table when tied).
 *
 * <p>Weights are rearranged once at load so that a step makes few engine calls: the query, key and
 * value projections are one matrix (the query part pre-scaled by {@code 1/sqrt(headSize)}), gate
 * and up projections are one matrix, and every matrix is held as the transposed view the product
 * needs.
 */
final class LlamaNetwork implements DecoderNetwork {
  /** One decoder layer's weights, each linear {@code (out, in)}. */
  private record Layer(
      NDArray attentionNorm,
      NDArray qkv,
      NDArray qkvBias,
      NDArray output,
      NDArray outputBias,
      NDArray mlpNorm,
      NDArray gateUp,
      NDArray down) {}

  private final LlamaConfig config;
  private final NDArray embeddings;
  private final Layer[] layers;
  private final NDArray finalNorm;
  private final NDArray head;
  private final NDArray rotateHalf;
  private final double[] inverseFrequencies;
  private final DataType dtype;
  private final long weightBytes;

  LlamaNetwork(LlamaConfig config, Weights w, NDManager manager, DataType dtype) {
    this.config = config;
    this.dtype = dtype;
    this.inverseFrequencies = config.inverseFrequencies();
    int d = config.headSize();
    float scale = (float) (1.0 / Math.sqrt(d));
    embeddings = w.get(LlamaTensors.EMBEDDINGS);
    long bytes = embeddings.size();
    layers = new Layer[config.numHiddenLayers()];
    for (int i = 0; i < layers.length; i++) {
      NDArray q = w.get(LlamaTensors.Linear.Q.weight(i));
      NDArray qScaled = q.mul(scale);
      NDArray k = w.get(LlamaTensors.Linear.K.weight(i));
      NDArray v = w.get(LlamaTensors.Linear.V.weight(i));
      NDArray qkv = NDArrays.concat(new NDList(qScaled, k, v), 0);
      NDArray qkvBias = null;
      if (config.qkvBias()) {
        NDArray qb = w.get(LlamaTensors.Linear.Q.bias(i));
        NDArray qbScaled = qb.mul(scale);
        NDArray kb = w.get(LlamaTensors.Linear.K.bias(i));
        NDArray vb = w.get(LlamaTensors.Linear.V.bias(i));
        qkvBias = NDArrays.concat(new NDList(qbScaled, kb, vb), 0);
        closeAll(qb, qbScaled, kb, vb);
      }
      closeAll(q, qScaled, k, v);
      NDArray gate = w.get(LlamaTensors.Linear.GATE.weight(i));
      NDArray up = w.get(LlamaTensors.Linear.UP.weight(i));
      NDArray gateUp = NDArrays.concat(new NDList(gate, up), 0);
      closeAll(gate, up);
      layers[i] =
          new Layer(
              w.get(LlamaTensors.Norm.ATTENTION.weight(i)),
              qkv,
              qkvBias,
              w.get(LlamaTensors.Linear.O.weight(i)),
              config.outputBias() ? w.get(LlamaTensors.Linear.O.bias(i)) : null,
              w.get(LlamaTensors.Norm.MLP.weight(i)),
              gateUp,
              w.get(LlamaTensors.Linear.DOWN.weight(i)));
      Layer l = layers[i];
      bytes += l.qkv.size() + l.output.size() + l.gateUp.size() + l.down.size();
    }
    finalNorm = w.get(LlamaTensors.FINAL_NORM);
    if (config.tied() || !w.has(LlamaTensors.LM_HEAD)) {
      if (!config.tied()) {
        throw new IllegalArgumentException(
            "weights have no lm_head.weight and tie_word_embeddings is not set");
      }
      head = embeddings;
    } else {
      head = w.get(LlamaTensors.LM_HEAD);
      bytes += head.size();
    }
    rotateHalf = rotateHalf(manager, d).toType(dtype, false);
    weightBytes = bytes * dtype.getNumOfBytes();
  }

  /**
   * The matrix {@code R} with {@code x @ R = rotate_half(x) = concat(-x[d/2:], x[:d/2])}: one
   * product instead of a split, a negation and a concatenation.
   */
  private static NDArray rotateHalf(NDManager manager, int d) {
    float[] r = new float[d * d];
    int half = d / 2;
    for (int j = 0; j < half; j++) {
      r[(j + half) * d + j] = -1f;
      r[j * d + j + half] = 1f;
    }
    return manager.create(r, new Shape(d, d));
  }

  private static void closeAll(NDArray... arrays) {
    for (NDArray a : arrays) {
      a.close();
    }
  }

  @Override
  public int layers() {
    return layers.length;
  }

  @Override
  public int kvHeads() {
    return config.kvHeads();
  }

  @Override
  public int heads() {
    return config.numAttentionHeads();
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
    return config.contextLength();
  }

  @Override
  public long weightBytes() {
    return weightBytes;
  }

  @Override
  public NDArray logits(DecoderBatch batch) {
    NDManager m = batch.manager();
    int t = batch.rows();
    int h = config.numAttentionHeads();
    int kv = config.kvHeads();
    int d = config.headSize();
    NDArray x = embeddings.get(m, new NDIndex("{}", batch.tokenArray()));
    NDArray[] cosSin = rotary(batch);
    NDArray cos = cosSin[0];
    NDArray sin = cosSin[1];
    long[] queriesAndKeys = {h + kv}; // split points along the head axis
    long[] queries = {h};
    for (int i = 0; i < layers.length; i++) {
      Layer l = layers[i];
      // Self-attention: fused q/k/v projection, RoPE on queries and keys together.
      NDArray qkv = batch.linear(rmsNorm(x, l.attentionNorm), l.qkv);
      if (l.qkvBias != null) {
        qkv = qkv.add(l.qkvBias);
      }
      NDList qkAndV = qkv.reshape(t, h + 2 * kv, d).split(queriesAndKeys, 1);
      NDArray qk = qkAndV.get(0);
      NDList rotated = qk.mul(cos).add(qk.matMul(rotateHalf).mul(sin)).split(queries, 1);
      NDArray attended = batch.attend(i, rotated.get(0), rotated.get(1), qkAndV.get(1));
      NDArray projected = batch.linear(attended, l.output);
      if (l.outputBias != null) {
        projected = projected.add(l.outputBias);
      }
      x = x.add(projected);
      // MLP: down(silu(gate(x)) * up(x)), gate and up in one product.
      NDList gateUp = batch.linear(rmsNorm(x, l.mlpNorm), l.gateUp).split(2, 1);
      NDArray gate = gateUp.get(0);
      x = x.add(batch.linear(gate.mul(Activation.sigmoid(gate)).mul(gateUp.get(1)), l.down));
    }
    return batch.linear(rmsNorm(batch.lastRows(x), finalNorm), head);
  }

  /**
   * {@code x / sqrt(mean(x^2) + eps) * weight}, in fp32 even when the engine computes in fp16 (as
   * Hugging Face does): squares of large activations overflow fp16.
   */
  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray xf = dtype == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
    NDArray rms = xf.square().mean(new int[] {-1}, true).add(config.eps()).sqrt();
    NDArray normed = xf.div(rms);
    if (dtype != DataType.FLOAT32) {
      normed = normed.toType(dtype, false);
    }
    return normed.mul(weight);
  }

  /**
   * Cosines and sines {@code (T, 1, headSize)} of each row's position: the angle of dimension j is
   * {@code position * inverseFrequency[j mod headSize/2]} (Hugging Face's half-split layout).
   */
  private NDArray[] rotary(DecoderBatch batch) {
    int[] positions = batch.positions();
    int d = config.headSize();
    int half = d / 2;
    float[] cos = new float[positions.length * d];
    float[] sin = new float[positions.length * d];
    for (int r = 0; r < positions.length; r++) {
      for (int j = 0; j < half; j++) {
        double angle = positions[r] * inverseFrequencies[j];
        float c = (float) Math.cos(angle);
        float s = (float) Math.sin(angle);
        cos[r * d + j] = c;
        cos[r * d + j + half] = c;
        sin[r * d + j] = s;
        sin[r * d + j + half] = s;
      }
    }
    Shape shape = new Shape(positions.length, 1, d);
    NDManager m = batch.manager();
    return new NDArray[] {
      m.create(cos, shape).toType(dtype, false), m.create(sin, shape).toType(dtype, false)
    };
  }
}
