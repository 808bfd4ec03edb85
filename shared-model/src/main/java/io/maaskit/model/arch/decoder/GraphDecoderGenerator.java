package io.maaskit.model.arch.decoder;

import io.maaskit.model.arch.GenerationConfig;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextTokenizer;
import io.maaskit.model.engine.CompiledGraph;
import io.maaskit.model.engine.CompiledGraph.HostTensor;
import io.maaskit.model.engine.CompiledGraph.IntTensor;
import io.maaskit.model.engine.CompiledGraph.LongTensor;
import io.maaskit.model.engine.CompiledGraph.Region;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.pkg.ModelManifest;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@link TextGenerator} of any decoder package compiled to a {@link DecoderGraph}: one runtime
 * for every architecture whose compiler writes the contract (Llama, Mistral, Qwen2, GPT-2). The
 * keys and values stay in the engine's native memory ({@link GraphKvPool}) from step to step; the
 * only data crossing to the Java heap per step are the token ids in and the logits out.
 *
 * <p>GroupQueryAttention takes several sequences in one run only when each appends one token, or
 * when all are fresh prompts of one length; a sequence appending several tokens to a non-empty
 * cache must run alone. So a step runs each sequence that appends several tokens on its own ({@code
 * batch 1}, its slot's buffer), then every sequence that appends one token in one run over the
 * slots {@code 0..k}: a live sequence that takes no part in the step rides along with a placeholder
 * token whose key and value land one position past its end, where its next real token overwrites
 * them.
 */
public final class GraphDecoderGenerator implements TextGenerator, DecoderCache.Owner {
  private final ModelManifest manifest;
  private final Engine engine;
  private final CompiledGraph graph;
  private final DecoderGraph.Shape shape;
  private final TextTokenizer tokenizer;
  private final AutoCloseable tokenizerResource;
  private final GenerationConfig generationConfig;
  private final int contextLength;
  private final long graphBytes;
  private final GraphKvPool pool;
  private boolean closed;

  /**
   * A generator over an opened graph; refuses (closing nothing) a graph whose declared inputs and
   * outputs do not match what the package's config says.
   *
   * @param graph the opened graph; closed with the generator
   * @param expected what config.json says: layers, key/value heads, head size and vocabulary
   * @param contextLength most tokens a sequence may hold (the graph's rotary tables or position
   *     embeddings cover this many)
   * @param graphBytes size of the graph file (weights are its initializers)
   * @param tokenizerResource closed with the generator (the tokenizer's native memory)
   * @throws IOException if the graph does not match {@code expected}
   */
  public GraphDecoderGenerator(
      ModelManifest manifest,
      Engine engine,
      CompiledGraph graph,
      DecoderGraph.Shape expected,
      int contextLength,
      long graphBytes,
      TextTokenizer tokenizer,
      AutoCloseable tokenizerResource,
      GenerationConfig generationConfig)
      throws IOException {
    this.shape = DecoderGraph.Shape.of(graph.inputShapes(), graph.outputShapes());
    shape.check(expected.layers(), expected.kvHeads(), expected.headSize(), expected.vocab());
    if (shape.positions() != expected.positions()) {
      throw new IOException(
          "the compiled graph "
              + DecoderGraph.FILE
              + (shape.positions() ? " takes " : " lacks ")
              + DecoderGraph.POSITION_IDS
              + ", which this architecture "
              + (expected.positions() ? "needs" : "does not use"));
    }
    this.manifest = manifest;
    this.engine = engine;
    this.graph = graph;
    this.tokenizer = tokenizer;
    this.tokenizerResource = tokenizerResource;
    this.generationConfig = generationConfig;
    this.contextLength = Math.min(contextLength, manifest.maxSequenceLength());
    this.graphBytes = graphBytes;
    this.pool =
        new GraphKvPool(
            graph, shape.layers(), shape.kvHeads(), shape.headSize(), this.contextLength + 1);
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
  public int contextLength() {
    return contextLength;
  }

  @Override
  public int vocabSize() {
    return shape.vocab();
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
    if (closed) {
      throw new IllegalStateException("the generator of " + manifest.id() + " is closed");
    }
    return pool.acquire(this);
  }

  @Override
  public synchronized void release(DecoderCache cache) {
    if (!closed) {
      pool.release(cache);
    }
  }

  /** Bytes the live sequences' keys and values hold. */
  public synchronized long cacheBytes() {
    return pool.bytes();
  }

  @Override
  public synchronized float[][] forward(List<KvCache> caches, List<int[]> tokens) {
    if (closed) {
      throw new IllegalStateException("the generator of " + manifest.id() + " is closed");
    }
    DecoderCache[] own = StepInputs.check(caches, tokens, this, contextLength, shape.vocab());
    int b = own.length;
    int[][] toks = tokens.toArray(new int[0][]);
    // Every live slot may be written one position past what it holds after the step.
    int positions = 0;
    for (DecoderCache c : pool.live()) {
      positions = Math.max(positions, c.length() + 1);
    }
    for (int i = 0; i < b; i++) {
      positions = Math.max(positions, own[i].length() + toks[i].length + 1);
    }
    pool.reserve(positions);
    float[][] out = new float[b][];
    int[] held = new int[pool.live().size()]; // per slot, after the step's prefills
    for (DecoderCache c : pool.live()) {
      held[c.slot()] = c.length();
    }
    int[] decodeToken = new int[held.length];
    boolean[] decoding = new boolean[held.length];
    int lastDecoding = -1;
    for (int i = 0; i < b; i++) {
      int slot = own[i].slot();
      if (toks[i].length > 1) {
        out[i] = run(slot, 1, new int[][] {toks[i]}, new int[] {held[slot]})[0];
        held[slot] += toks[i].length;
      } else {
        decoding[slot] = true;
        decodeToken[slot] = toks[i][0];
        lastDecoding = Math.max(lastDecoding, slot);
      }
    }
    if (lastDecoding >= 0) {
      int rows = lastDecoding + 1;
      int[][] ids = new int[rows][];
      for (int s = 0; s < rows; s++) {
        ids[s] = new int[] {decoding[s] ? decodeToken[s] : 0};
      }
      float[][] logits = run(0, rows, ids, Arrays.copyOf(held, rows));
      for (int i = 0; i < b; i++) {
        if (out[i] == null) {
          out[i] = logits[own[i].slot()];
        }
      }
    }
    for (int i = 0; i < b; i++) {
      own[i].advance(toks[i].length);
    }
    return out;
  }

  /**
   * One graph run over slots {@code first..first+rows-1}, each appending {@code ids[r]} (all of one
   * length) to the {@code past[r]} positions it holds.
   */
  private float[][] run(int first, int rows, int[][] ids, int[] past) {
    int seq = ids[0].length;
    long[] idData = new long[rows * seq];
    long[] posData = shape.positions() ? new long[rows * seq] : null;
    int[] seqlens = new int[rows];
    int total = 0;
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < seq; j++) {
        idData[r * seq + j] = ids[r][j];
        if (posData != null) {
          // A placeholder row of a full sequence sits at the context length; real rows never do.
          posData[r * seq + j] = Math.min(past[r] + j, contextLength - 1);
        }
      }
      seqlens[r] = past[r] + seq - 1;
      total = Math.max(total, past[r] + seq);
    }
    Map<String, HostTensor> in = new HashMap<>();
    in.put(DecoderGraph.INPUT_IDS, new LongTensor(idData, rows, seq));
    if (posData != null) {
      in.put(DecoderGraph.POSITION_IDS, new LongTensor(posData, rows, seq));
    }
    in.put(DecoderGraph.SEQLENS_K, new IntTensor(seqlens, rows));
    in.put(DecoderGraph.TOTAL_SEQUENCE_LENGTH, new IntTensor(new int[] {total}));
    Map<String, Region> state = new HashMap<>();
    for (int l = 0; l < shape.layers(); l++) {
      Region k = pool.keys(l, first, rows);
      Region v = pool.values(l, first, rows);
      state.put(DecoderGraph.pastKey(l), k);
      state.put(DecoderGraph.presentKey(l), k);
      state.put(DecoderGraph.pastValue(l), v);
      state.put(DecoderGraph.presentValue(l), v);
    }
    return graph.run(in, state, Set.of(DecoderGraph.LOGITS)).get(DecoderGraph.LOGITS).rows();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      tokenizerResource.close();
    } catch (Exception e) {
      // the tokenizer's native handle is freed regardless; nothing to recover
    } finally {
      pool.close();
      graph.close();
    }
  }
}
