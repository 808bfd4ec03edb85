package io.maaskit.model.task;

/** Why a choice ended. */
public enum FinishReason {
  /** An end-of-sequence token, a stop token id or a stop string. */
  STOP("stop"),
  /** {@code max_tokens} reached, or the model's context is full. */
  LENGTH("length"),
  /** The choice is one or more tool calls. */
  TOOL_CALLS("tool_calls");

  private final String key;

  FinishReason(String key) {
    this.key = key;
  }

  /** The OpenAI {@code finish_reason} value. */
  public String key() {
    return key;
  }
}
