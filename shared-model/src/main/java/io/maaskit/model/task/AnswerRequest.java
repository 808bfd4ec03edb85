package io.maaskit.model.task;

/**
 * A request to answer a question from a context (extractive question answering), whatever protocol
 * carried it.
 *
 * @param model model name (optionally {@code name@version}); null for the service's default
 * @param question the question
 * @param context the text the answer is a span of
 * @param topK how many answers, best first
 * @param maxAnswerLength most tokens in an answer (Hugging Face's default: 15)
 * @param handleImpossible whether "no answer" (an empty span, scored by the [CLS] token) competes
 * @param docStride tokens each window of a long context shares with the next; null for the default
 *     (Hugging Face's: 128, at most half the model's length, less when the question leaves less
 *     room)
 */
public record AnswerRequest(
    String model,
    String question,
    String context,
    int topK,
    int maxAnswerLength,
    boolean handleImpossible,
    Integer docStride) {
  /** Hugging Face's default {@code max_answer_len}. */
  public static final int DEFAULT_MAX_ANSWER_LENGTH = 15;
}
