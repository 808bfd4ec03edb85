package io.maaskit.model.task;

/**
 * Limits of {@link GenerationService}, one set per process.
 *
 * @param maxSequences sequences decoded together in one step (continuous batching): a request's
 *     {@code n} choices count one each
 * @param maxQueuedRequests requests that may wait for room in the batch; more are refused at once
 *     with 503 + Retry-After
 * @param maxChoices most {@code n} per request
 * @param defaultMaxTokens tokens generated when a request gives no {@code max_tokens} (cut to what
 *     the context leaves)
 */
public record GenerationOptions(
    int maxSequences, int maxQueuedRequests, int maxChoices, int defaultMaxTokens) {
  public GenerationOptions {
    if (maxSequences < 1) {
      throw new IllegalArgumentException("max sequences must be at least 1, got " + maxSequences);
    }
    if (maxQueuedRequests < 0) {
      throw new IllegalArgumentException(
          "max queued generation requests must be 0 or more, got " + maxQueuedRequests);
    }
    if (maxChoices < 1) {
      throw new IllegalArgumentException("max choices must be at least 1, got " + maxChoices);
    }
    if (defaultMaxTokens < 1) {
      throw new IllegalArgumentException(
          "default max tokens must be at least 1, got " + defaultMaxTokens);
    }
  }

  /**
   * 16 sequences per step (a decode step reads every weight once however many rows it has, so
   * sequences that share a step share that cost), 32 requests waiting, n up to 8, 256 tokens by
   * default.
   */
  public static GenerationOptions defaults() {
    return new GenerationOptions(16, 32, 8, 256);
  }
}
