package io.maaskit.model.task.internal;

import io.maaskit.model.task.internal.constraint.TokenConstraint;

/**
 * What a sequence's output must be beyond sampling: a grammar it is decoded under (JSON, a tool
 * call), and how to find tool calls in it.
 *
 * @param constraint this sequence's own constraint state, or null for free text
 * @param toolCalls finds tool calls in the output, or null when the request has no tools in play
 * @param onlyCall the output is a tool call by construction: stream none of its text
 */
public record OutputRules(TokenConstraint constraint, ToolCallParser toolCalls, boolean onlyCall) {
  /** Free text. */
  public static final OutputRules FREE = new OutputRules(null, null, false);
}
