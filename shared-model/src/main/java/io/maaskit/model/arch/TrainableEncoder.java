package io.maaskit.model.arch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.maaskit.model.engine.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What fine-tuning needs from an encoder, beyond serving: a layer stack that can be split (run the
 * frozen lower part once, the unfrozen top with gradients), its parameters by package tensor name,
 * and how a classifier package is written on top of it. Implemented by architectures that support
 * training; the trainer never names a concrete architecture.
 */
public interface TrainableEncoder extends TextEncoder {
  /** The eager engine the model runs on; gradients come from it. */
  @Override
  io.maaskit.model.engine.EagerEngine engine();

  /** Number of layers in the stack. */
  int layers();

  /**
   * Tokenizes texts (truncated) and pads them to the longest: token ids, type ids and attention
   * mask, each (B, L) int64 in {@code manager}.
   */
  NDList tokenizeBatch(List<String> texts, NDManager manager);

  /**
   * {@link #tokenizeBatch} for (query, document) pairs, tokenized as the model reads a pair when it
   * scores it (truncated longest-first): what a reranker is fine-tuned on.
   */
  default NDList tokenizePairs(List<String> queries, List<String> documents, NDManager manager) {
    throw new UnsupportedOperationException(
        manifest().architecture() + " encoders do not tokenize pairs");
  }

  /** Embedding output and layers run so far, plus the mask bias the remaining layers need. */
  record Partial(NDArray hidden, NDArray maskBias) {}

  /** Runs the embeddings and layers {@code [0, upTo)} on {@link #tokenizeBatch} output. */
  Partial forwardTo(NDList tokens, int upTo);

  /** The additive attention bias of a padding mask, to rebuild a {@link Partial} from a cache. */
  NDArray attentionBias(NDArray mask);

  /** Runs layers {@code [from, layers())}; consumes the partial; returns (B, L, H). */
  NDArray forwardFrom(Partial partial, int from);

  /** Pools per the package's manifest. */
  NDArray pool(NDArray hidden, NDArray mask);

  /** The last {@code n} layers' parameters keyed by their tensor names in the package. */
  Map<String, NDArray> lastLayerParameters(int n);

  /** Tensor name of the classifier head's weight (labels, hidden). */
  String HEAD_WEIGHT = "classifier.weight";

  /** Tensor name of the classifier head's bias (labels). */
  String HEAD_BIAS = "classifier.bias";

  /**
   * Writes the files of a classifier package built on this encoder's package: its config with the
   * labels, its weights with {@code trained} tensors swapped in (layers by their {@link
   * #lastLayerParameters} names, the head as {@link #HEAD_WEIGHT} and {@link #HEAD_BIAS}), and its
   * tokenizer.
   *
   * @param base the encoder package's verified files
   * @param dir where the files go (the manifest is the caller's)
   */
  void writeClassifierFiles(
      Architecture.PackageFiles base,
      List<String> labels,
      Map<String, Safetensors.Tensor> trained,
      Path dir)
      throws IOException;

  /**
   * {@link #writeClassifierFiles} for a per-token head: the same weights with the trained {@link
   * #HEAD_WEIGHT} and {@link #HEAD_BIAS} applied to every token's final state, and the family's
   * {@code *ForTokenClassification} as the config's {@code architectures}.
   */
  default void writeTokenClassifierFiles(
      Architecture.PackageFiles base,
      List<String> labels,
      Map<String, Safetensors.Tensor> trained,
      Path dir)
      throws IOException {
    throw new UnsupportedOperationException(
        manifest().architecture() + " encoders do not write token classifiers");
  }
}
