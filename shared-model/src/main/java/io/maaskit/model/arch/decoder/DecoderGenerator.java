package io.maaskit.model.arch.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.maaskit.model.arch.GenerationConfig;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextTokenizer;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.pkg.ModelManifest;
import java.util.List;

/**
 * The {@link TextGenerator} of a decoder package: checks a step's inputs, stacks the sequences' new
 * tokens into one {@link DecoderBatch}, runs the architecture's {@link DecoderNetwork} and returns
 * the logits of each sequence's last token. Closing it frees the weights and the tokenizer.
 */
public final class DecoderGenerator implements TextGenerator, DecoderCache.Owner {
  private final ModelManifest manifest;
  private final EagerEngine engine;
  private final NDManager manager;
  private final DecoderNetwork network;
  private final TextTokenizer tokenizer;
  private final AutoCloseable tokenizerResource;
  private final GenerationConfig generationConfig;
  private final int contextLength;
  private final KvPool pool;

  /**
   * A generator over loaded weights.
   *
   * @param manager owns the network's arrays; closed with the generator
   * @param tokenizerResource closed with the generator (the tokenizer's native memory)
   */
  public DecoderGenerator(
      ModelManifest manifest,
      EagerEngine engine,
      NDManager manager,
      DecoderNetwork network,
      TextTokenizer tokenizer,
      AutoCloseable tokenizerResource,
      GenerationConfig generationConfig) {
    this.manifest = manifest;
    this.engine = engine;
    this.manager = manager;
    this.network = network;
    this.tokenizer = tokenizer;
    this.tokenizerResource = tokenizerResource;
    this.generationConfig = generationConfig;
    this.contextLength = Math.min(network.contextLength(), manifest.maxSequenceLength());
    this.pool =
        new KvPool(
            manager,
            network.layers(),
            network.kvHeads(),
            network.headSize(),
            contextLength,
            engine.computeType());
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
    return network.weightBytes();
  }

  @Override
  public int contextLength() {
    return contextLength;
  }

  @Override
  public int vocabSize() {
    return network.vocabSize();
  }

  @Override
  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public GenerationConfig generationConfig() {
    return generationConfig;
  }

  @Override
  public synchronized KvCache newCache() {
    return new DecoderCache(this, pool.acquire());
  }

  @Override
  public synchronized void release(DecoderCache cache) {
    pool.release(cache.slot());
  }

  /** Bytes the live sequences' keys and values hold. */
  public synchronized long cacheBytes() {
    return pool.bytes();
  }

  @Override
  public synchronized float[][] forward(List<KvCache> caches, List<int[]> tokens) {
    DecoderCache[] own = StepInputs.check(caches, tokens, this, contextLength, network.vocabSize());
    int b = own.length;
    int[][] toks = tokens.toArray(new int[0][]);
    engine.prepareThread();
    int longest = 0;
    for (int i = 0; i < b; i++) {
      longest = Math.max(longest, own[i].length() + toks[i].length);
    }
    pool.reserve(longest);
    try (NDManager step = manager.newSubManager()) {
      DecoderBatch batch =
          new DecoderBatch(
              step,
              pool,
              own,
              toks,
              network.heads(),
              network.kvHeads(),
              network.headSize(),
              engine.computeType());
      NDArray logits = network.logits(batch);
      if (logits.getDataType() != DataType.FLOAT32) {
        logits = logits.toType(DataType.FLOAT32, false);
      }
      float[] flat = logits.toFloatArray();
      int v = network.vocabSize();
      float[][] out = new float[b][];
      for (int i = 0; i < b; i++) {
        out[i] = java.util.Arrays.copyOfRange(flat, i * v, (i + 1) * v);
        own[i].advance(toks[i].length);
      }
      return out;
    }
  }

  @Override
  public void close() {
    try {
      tokenizerResource.close();
    } catch (Exception e) {
      // the tokenizer's native handle is freed regardless; nothing to recover
    } finally {
      manager.close();
    }
  }
}
