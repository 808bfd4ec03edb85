package io.maaskit.model.task;

import java.util.List;

/**
 * How to pick tokens and when to stop; a null field takes the package's default ({@code
 * generation_config.json}), else the service's. {@link GenerationService} validates every field.
 *
 * @param maxTokens most tokens to generate per choice (default: {@link
 *     GenerationOptions#defaultMaxTokens()}, cut to what the context leaves)
 * @param temperature 0 (greedy) to 2
 * @param topP nucleus mass in (0, 1]
 * @param topK keep the k most likely tokens; 0 or -1 = all
 * @param seed same seed, same request, same model: same output
 * @param repetitionPenalty Hugging Face style, over the prompt and the generated tokens: above 1
 *     discourages repeats
 * @param presencePenalty OpenAI style, -2 to 2: subtracted once from every generated token's logit
 * @param frequencyPenalty OpenAI style, -2 to 2: subtracted per occurrence of a generated token
 * @param stop up to 4 strings that end a choice; they are not part of the text
 * @param stopTokenIds token ids that end a choice besides the package's end-of-sequence ids
 * @param n choices to generate, from 1 to {@link GenerationOptions#maxChoices()}
 * @param topLogprobs null: no log-probabilities; k (0 to 20): each token's log-probability and the
 *     k most likely alternatives
 */
public record SamplingParams(
    Integer maxTokens,
    Double temperature,
    Double topP,
    Integer topK,
    Long seed,
    Double repetitionPenalty,
    Double presencePenalty,
    Double frequencyPenalty,
    List<String> stop,
    List<Integer> stopTokenIds,
    Integer n,
    Integer topLogprobs) {
  /** Copies the lists (null stays null). */
  public SamplingParams {
    stop = stop == null ? null : List.copyOf(stop);
    stopTokenIds = stopTokenIds == null ? null : List.copyOf(stopTokenIds);
  }

  /** Every field at its default. */
  public static SamplingParams defaults() {
    return new SamplingParams(
        null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /** Greedy decoding of at most {@code maxTokens} tokens. */
  public static SamplingParams greedy(int maxTokens) {
    return new SamplingParams(
        maxTokens, 0.0, null, null, null, null, null, null, null, null, null, null);
  }
}
