package io.maaskit.model.task;

import java.util.List;

/**
 * Receives a generation as it happens (for streaming). Called from the decode loop's thread, in
 * order per choice; an implementation must return quickly (write to a buffer, never block on the
 * network), since every sequence in the batch waits for it.
 */
public interface GenerationListener {
  /** Ignores everything. */
  GenerationListener NONE = new GenerationListener() {};

  /**
   * Text that is final: never a piece of a multi-byte character and never a prefix of a stop
   * string. The deltas of a choice concatenate to its {@link Generation.Choice#text()}.
   *
   * @param logprobs the tokens consumed since the previous delta, when asked for, else null
   */
  default void delta(int choice, String text, List<Generation.TokenLogprob> logprobs) {}

  /**
   * The tool calls a choice made, once, just before it finishes (with {@code tool_calls}); text
   * that held them was never sent as a delta.
   */
  default void toolCalls(int choice, List<ToolCall> calls) {}

  /** A choice ended; no delta for it follows. */
  default void finished(int choice, FinishReason reason) {}
}
