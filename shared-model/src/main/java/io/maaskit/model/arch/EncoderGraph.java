package io.maaskit.model.arch;

/**
 * The contract between the ONNX compiler (tooling) and the engines that run a compiled encoder or
 * classifier graph: the package file and the names of its inputs and outputs. A package whose
 * manifest lists {@link #FILE} can be served by ONNX Runtime; one without it still serves on
 * PyTorch.
 *
 * <p>Inputs are int64 {@code [batch, sequence]}; outputs are float32.
 */
public final class EncoderGraph {
  /** The compiled graph's file name inside a package (self-contained: weights are initializers). */
  public static final String FILE = "model.onnx";

  /** Input: token ids. */
  public static final String INPUT_IDS = "input_ids";

  /** Input: 1 for real tokens, 0 for padding. */
  public static final String ATTENTION_MASK = "attention_mask";

  /** Input: segment ids (zeros for single texts). */
  public static final String TOKEN_TYPE_IDS = "token_type_ids";

  /**
   * Output {@code [batch, hidden]}: pooled as the manifest's {@code pooling} says, not normalized.
   */
  public static final String POOLED = "pooled";

  /** Output {@code [batch, hidden]}: {@link #POOLED}, L2-normalized. */
  public static final String SENTENCE_EMBEDDING = "sentence_embedding";

  /**
   * Output {@code [batch, labels]} of classifier packages: softmax probabilities in label order.
   */
  public static final String PROBABILITIES = "probabilities";

  /**
   * Output {@code [batch, labels]} of packages with a head (classifiers, rerankers): the head's raw
   * logits, before any softmax; a reranker's single column is its relevance score.
   */
  public static final String LOGITS = "logits";

  /**
   * Output {@code [batch, sequence, columns]} of packages with a per-token head: a token
   * classifier's label logits, or a question answerer's start and end logits (columns 0 and 1).
   */
  public static final String TOKEN_LOGITS = "token_logits";

  private EncoderGraph() {}
}
