package io.maaskit.model.task;

import java.util.List;
import java.util.Set;

/**
 * One message of a chat conversation, as a chat template sees it.
 *
 * @param role {@code system}, {@code developer}, {@code user}, {@code assistant} or {@code tool}
 * @param content the message's text
 * @param toolCalls an assistant message's tool calls, or null
 * @param toolCallId a {@code tool} message's answer to the call with this id, or null
 */
public record ChatMessage(
    String role, String content, List<ToolCall> toolCalls, String toolCallId) {
  /** The roles a conversation may use. */
  public static final Set<String> ROLES =
      Set.of("system", "developer", "user", "assistant", "tool");

  /** Copies the calls. */
  public ChatMessage {
    toolCalls = toolCalls == null ? null : List.copyOf(toolCalls);
  }

  /** A plain text message. */
  public ChatMessage(String role, String content) {
    this(role, content, null, null);
  }
}
