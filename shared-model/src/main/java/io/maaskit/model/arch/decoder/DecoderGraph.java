package io.maaskit.model.arch.decoder;

import io.maaskit.model.arch.EncoderGraph;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The contract between the decoder graph compilers (tooling) and the graph-backed generator ({@link
 * GraphDecoderGenerator}): the package file and the names, types and shapes of a compiled decoder's
 * inputs and outputs, shaped like ONNX Runtime's own generative graphs for the CPU.
 *
 * <ul>
 *   <li>{@link #INPUT_IDS} int64 {@code [batch, sequence]};
 *   <li>{@link #POSITION_IDS} int64 {@code [batch, sequence]}, only in graphs that need it (learned
 *       positions); the runtime feeds it iff the graph declares it;
 *   <li>{@link #SEQLENS_K} int32 {@code [batch]}: per sequence, tokens held after the step minus
 *       one, as {@code com.microsoft.GroupQueryAttention} expects;
 *   <li>{@link #TOTAL_SEQUENCE_LENGTH} int32 scalar: the most tokens any sequence of the batch
 *       holds after the step;
 *   <li>{@link #pastKey}/{@link #pastValue} float32 {@code [batch, kvHeads, buffer, headSize]} per
 *       layer, and the outputs {@link #presentKey}/{@link #presentValue} of the same shape: the
 *       runtime binds both to one buffer of the same length, so attention appends in place;
 *   <li>{@link #LOGITS} float32 {@code [batch, vocab]}: the last position of each row only.
 * </ul>
 */
public final class DecoderGraph {
  /** The compiled graph's file name inside a package (the same as an encoder's). */
  public static final String FILE = EncoderGraph.FILE;

  /** Input: token ids {@code [batch, sequence]}. */
  public static final String INPUT_IDS = "input_ids";

  /** Input (optional): positions of the step's tokens {@code [batch, sequence]}. */
  public static final String POSITION_IDS = "position_ids";

  /** Input: per sequence, tokens held after the step minus one {@code [batch]}. */
  public static final String SEQLENS_K = "seqlens_k";

  /** Input: scalar, the most tokens any sequence holds after the step. */
  public static final String TOTAL_SEQUENCE_LENGTH = "total_sequence_length";

  /** Output: logits of each row's last position {@code [batch, vocab]}. */
  public static final String LOGITS = "logits";

  private static final String PAST = "past_key_values.";
  private static final String PRESENT = "present.";

  private DecoderGraph() {}

  /** Input: layer {@code i}'s keys so far. */
  public static String pastKey(int layer) {
    return PAST + layer + ".key";
  }

  /** Input: layer {@code i}'s values so far. */
  public static String pastValue(int layer) {
    return PAST + layer + ".value";
  }

  /** Output: layer {@code i}'s keys after the step. */
  public static String presentKey(int layer) {
    return PRESENT + layer + ".key";
  }

  /** Output: layer {@code i}'s values after the step. */
  public static String presentValue(int layer) {
    return PRESENT + layer + ".value";
  }

  /**
   * What a compiled decoder graph declares, read from its inputs and outputs.
   *
   * @param layers number of {@code past_key_values.N.key} inputs
   * @param kvHeads key/value heads (dim 1 of the cache)
   * @param headSize width of one head (dim 3 of the cache)
   * @param vocab rows of the logits
   * @param positions whether the graph takes {@link #POSITION_IDS}
   */
  public record Shape(int layers, int kvHeads, int headSize, int vocab, boolean positions) {
    /**
     * Reads the declared shapes (symbolic dims as negative numbers).
     *
     * @throws IOException if a name of the contract is missing or a cache input is not rank 4
     */
    public static Shape of(Map<String, long[]> inputs, Map<String, long[]> outputs)
        throws IOException {
      List<String> missing = new ArrayList<>();
      for (String n : List.of(INPUT_IDS, SEQLENS_K, TOTAL_SEQUENCE_LENGTH)) {
        if (!inputs.containsKey(n)) {
          missing.add(n);
        }
      }
      long[] logits = outputs.get(LOGITS);
      if (logits == null) {
        missing.add(LOGITS);
      }
      int layers = 0;
      while (inputs.containsKey(pastKey(layers))) {
        layers++;
      }
      if (layers == 0) {
        missing.add(pastKey(0));
      }
      if (!missing.isEmpty()) {
        throw new IOException("the compiled decoder graph lacks " + String.join(", ", missing));
      }
      long[] cache = inputs.get(pastKey(0));
      if (cache.length != 4 || logits.length != 2) {
        throw new IOException(
            "the compiled decoder graph's cache is not [batch, kv_heads, length, head_size] or its"
                + " logits are not [batch, vocab]");
      }
      for (int i = 0; i < layers; i++) {
        for (String n : List.of(pastValue(i), presentKey(i), presentValue(i))) {
          if (!(n.startsWith(PAST) ? inputs : outputs).containsKey(n)) {
            throw new IOException("the compiled decoder graph lacks " + n);
          }
        }
      }
      return new Shape(
          layers,
          (int) cache[1],
          (int) cache[3],
          (int) logits[1],
          inputs.containsKey(POSITION_IDS));
    }

    /**
     * Refuses a graph that was not compiled from this config.
     *
     * @throws IOException naming every figure that differs
     */
    public void check(int layers, int kvHeads, int headSize, int vocab) throws IOException {
      List<String> wrong = new ArrayList<>();
      mismatch(wrong, "layers", this.layers, layers);
      mismatch(wrong, "key/value heads", this.kvHeads, kvHeads);
      mismatch(wrong, "head size", this.headSize, headSize);
      mismatch(wrong, "vocabulary", this.vocab, vocab);
      if (!wrong.isEmpty()) {
        throw new IOException(
            "the compiled graph "
                + FILE
                + " does not match config.json: "
                + String.join("; ", wrong)
                + " (recompile it with scripts/compile-onnx)");
      }
    }

    private static void mismatch(List<String> wrong, String what, int graph, int config) {
      if (graph != config) {
        wrong.add(what + " " + graph + " in the graph, " + config + " in config.json");
      }
    }
  }
}
