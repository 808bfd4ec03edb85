package io.maaskit.model.task;

import java.util.Set;

/**
 * One message of a chat conversation, as a chat template sees it.
 *
 * @param role {@code system}, {@code developer}, {@code user}, {@code assistant} or {@code tool}
 * @param content the message's text
 */
public record ChatMessage(String role, String content) {
  /** The roles a conversation may use. */
  public static final Set<String> ROLES =
      Set.of("system", "developer", "user", "assistant", "tool");
}
