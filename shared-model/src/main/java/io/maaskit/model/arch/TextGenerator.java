package io.maaskit.model.arch;

import java.util.List;

/**
 * Capability {@code generator}: a causal language model that gives next-token logits over a
 * per-sequence key/value cache. The generation loop (sampling, stops, streaming, batching across
 * requests) lives in the task layer and is the same for every architecture; an architecture only
 * runs forward steps.
 *
 * <pre>{@code
 * try (TextGenerator.KvCache cache = generator.newCache()) {
 *   float[][] logits = generator.forward(List.of(cache), List.of(promptIds)); // prefill
 *   int next = argmax(logits[0]);
 *   logits = generator.forward(List.of(cache), List.of(new int[] {next}));    // one decode step
 * }
 * }</pre>
 *
 * <p>Thread-safety: {@link #forward} may be called from several threads at once as long as no cache
 * is used by two calls at the same time.
 */
public interface TextGenerator extends LoadedModel {
  /** Most tokens (prompt plus generated) one sequence may hold. */
  int contextLength();

  /** Rows of the output logits (the tokenizer may know fewer tokens). */
  int vocabSize();

  /** The package's tokenizer: no truncation, no padding, special tokens only when asked. */
  TextTokenizer tokenizer();

  /**
   * Defaults and special tokens from the package ({@code generation_config.json}, chat template).
   */
  GenerationConfig generationConfig();

  /** An empty cache for one sequence; closing it frees its memory. */
  KvCache newCache();

  /**
   * Appends {@code tokens.get(i)} to {@code caches.get(i)} for every {@code i} in one batched step
   * (prefill when a sequence gets many tokens, decode when it gets one; sequences may be at
   * different lengths) and returns, per sequence, the logits that predict the token after its last
   * appended one. Each returned row has {@link #vocabSize()} entries.
   *
   * @throws IllegalArgumentException when a sequence would exceed {@link #contextLength()}
   */
  float[][] forward(List<KvCache> caches, List<int[]> tokens);

  /** Keys and values of one sequence's past tokens. */
  interface KvCache extends AutoCloseable {
    /** Tokens held. */
    int length();

    @Override
    void close();
  }
}
