package io.maaskit.model.arch.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.runtime.TorchRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A loaded BERT-family package: tokenizer + encoder + pooling, and for classification packages the
 * {@code classifier} head. Inputs are sorted by length and cut into padded sub-batches under a
 * memory budget, so 256 long inputs do not allocate gigabytes of attention scores.
 */
public final class BertModel implements TextEncoder, TextClassifier {
  /** Upper bound on attention-score elements (B × heads × L × L) per sub-batch (32 MB in fp32). */
  static final long MAX_SCORE_ELEMENTS = 8L * 1024 * 1024;

  /** Most padded tokens per real token in a sub-batch. */
  static final double MAX_PADDING = 1.25;

  /** Upper bound on inputs per sub-batch. */
  static final int MAX_BATCH = 64;

  private final ModelManifest manifest;
  private final NDManager manager;
  private final BertTokenization tokens;
  private final BertEncoder encoder;
  private final BertHead head;
  private final DataType computeType;

  BertModel(
      ModelManifest manifest,
      NDManager manager,
      BertTokenization tokens,
      BertEncoder encoder,
      BertHead head,
      DataType computeType) {
    this.manifest = manifest;
    this.manager = manager;
    this.tokens = tokens;
    this.encoder = encoder;
    this.head = head;
    this.computeType = computeType;
  }

  @Override
  public ModelManifest manifest() {
    return manifest;
  }

  @Override
  public long weightBytes() {
    return encoder.weightBytes();
  }

  /** The encoder (for training). */
  public BertEncoder encoder() {
    return encoder;
  }

  @Override
  public int dimension() {
    return encoder.config().hiddenSize();
  }

  @Override
  public List<String> labels() {
    return head == null ? List.of() : head.labels();
  }

  @Override
  public Encoded embed(List<String> texts, boolean normalize) {
    int[] count = new int[1];
    float[][] out =
        run(
            texts,
            (hidden, mask, m) -> {
              NDArray pooled = pool(hidden, mask);
              return normalize ? BertEncoder.l2Normalize(pooled) : pooled;
            },
            count);
    return new Encoded(out, count[0]);
  }

  @Override
  public float[][] classify(List<String> texts) {
    if (head == null) {
      throw new IllegalStateException("model " + manifest.id() + " has no classification head");
    }
    return run(
        texts, (hidden, mask, m) -> head.logits(hidden, mask, this::pool).softmax(-1), new int[1]);
  }

  /** Pools per the manifest: mean over real tokens, or the [CLS] state. */
  public NDArray pool(NDArray hidden, NDArray mask) {
    return "cls".equals(manifest.pooling())
        ? BertEncoder.clsPool(hidden)
        : BertEncoder.meanPool(hidden, mask);
  }

  @FunctionalInterface
  interface Readout {
    NDArray apply(NDArray hidden, NDArray mask, NDManager manager);
  }

  private float[][] run(List<String> texts, Readout readout, int[] tokenCount) {
    TorchRuntime.inferenceThread();
    List<BertTokenization.Tokens> encoded = tokens.encodeAll(texts);
    Integer[] order = new Integer[texts.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> encoded.get(i).ids().length));
    float[][] out = new float[texts.size()][];
    int tokensSeen = 0;
    int heads = encoder.config().numAttentionHeads();
    int start = 0;
    while (start < order.length) {
      int end = start;
      int maxLen = 0;
      long realTokens = 0;
      while (end < order.length && end - start < MAX_BATCH) {
        int len = encoded.get(order[end]).ids().length;
        int newMax = Math.max(maxLen, len);
        long count = end - start + 1;
        long scores = count * heads * newMax * newMax;
        // Inputs arrive sorted by length; start a new sub-batch when padding would exceed a quarter
        // of the real tokens (half the work of a mixed batch of 32 was padding) or the attention
        // scores would outgrow their memory budget.
        if (end > start
            && (scores > MAX_SCORE_ELEMENTS || count * newMax > MAX_PADDING * (realTokens + len))) {
          break;
        }
        maxLen = newMax;
        realTokens += len;
        end++;
      }
      List<BertTokenization.Tokens> batch = new ArrayList<>();
      for (int i = start; i < end; i++) {
        batch.add(encoded.get(order[i]));
        tokensSeen += encoded.get(order[i]).ids().length;
      }
      float[][] rows = runBatch(batch, maxLen, readout);
      for (int i = start; i < end; i++) {
        out[order[i]] = rows[i - start];
      }
      start = end;
    }
    tokenCount[0] = tokensSeen;
    return out;
  }

  private float[][] runBatch(List<BertTokenization.Tokens> batch, int len, Readout readout) {
    int b = batch.size();
    try (NDManager m = manager.newSubManager()) {
      ai.djl.ndarray.NDList in = pad(batch, len, m);
      NDArray hidden = encoder.forward(in.get(0), in.get(1), in.get(2));
      NDArray result = readout.apply(hidden, in.get(2), m).toType(DataType.FLOAT32, false);
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
  private static ai.djl.ndarray.NDList pad(
      List<BertTokenization.Tokens> batch, int len, NDManager manager) {
    int b = batch.size();
    long[] ids = new long[b * len];
    long[] types = new long[b * len];
    long[] mask = new long[b * len];
    for (int i = 0; i < b; i++) {
      BertTokenization.Tokens t = batch.get(i);
      System.arraycopy(t.ids(), 0, ids, i * len, t.ids().length);
      System.arraycopy(t.typeIds(), 0, types, i * len, t.typeIds().length);
      Arrays.fill(mask, i * len, i * len + t.ids().length, 1L);
    }
    Shape shape = new Shape(b, len);
    return new ai.djl.ndarray.NDList(
        manager.create(ids, shape), manager.create(types, shape), manager.create(mask, shape));
  }

  /**
   * Tokenizes texts (truncated to the model's maximum) and pads them to the longest, for training:
   * token ids, type ids and attention mask, each (B, L) int64 in {@code manager}.
   */
  public ai.djl.ndarray.NDList tokenize(List<String> texts, NDManager manager) {
    List<BertTokenization.Tokens> batch = tokens.encodeAll(texts);
    return pad(batch, batch.stream().mapToInt(t -> t.ids().length).max().orElse(0), manager);
  }

  /** Token count of one text after truncation. */
  public int tokenCount(String text) {
    return tokens.encode(text).ids().length;
  }

  @Override
  public void close() {
    tokens.close();
    manager.close();
  }

  DataType computeType() {
    return computeType;
  }
}
