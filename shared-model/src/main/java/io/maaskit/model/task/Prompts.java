package io.maaskit.model.task;

import io.maaskit.model.arch.GenerationConfig;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.error.InvalidRequestException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a request's prompt or conversation into token ids, one way for every task that reads
 * prompts (generation, explanations of generated text); compiled chat templates are kept per
 * template source and special tokens.
 */
final class Prompts {
  private final Map<TemplateKey, ChatTemplate> templates = new ConcurrentHashMap<>();

  private record TemplateKey(String source, Map<String, String> specialTokens) {}

  /**
   * The token ids of a request's prompt: a conversation rendered through the package's chat
   * template (with the generation prompt), or a raw prompt with the tokenizer's special tokens.
   *
   * @throws InvalidRequestException if the prompt is missing or empty, a message is malformed or
   *     the package has no chat template for a conversation
   */
  int[] ids(GenerateRequest request, TextGenerator g, String model) {
    GenerationConfig cfg = g.generationConfig();
    if (request.isChat()) {
      List<ChatMessage> messages = request.messages();
      if (messages.isEmpty()) {
        throw new InvalidRequestException("'messages' must not be empty");
      }
      for (int i = 0; i < messages.size(); i++) {
        ChatMessage m = messages.get(i);
        if (m == null || m.role() == null || !ChatMessage.ROLES.contains(m.role())) {
          throw new InvalidRequestException(
              "'messages["
                  + i
                  + "].role' must be one of "
                  + new java.util.TreeSet<>(ChatMessage.ROLES)
                  + (m == null || m.role() == null ? "" : ", not '" + m.role() + "'"));
        }
        if (m.content() == null) {
          throw new InvalidRequestException("'messages[" + i + "].content' is required");
        }
      }
      String source =
          cfg.chatTemplate()
              .orElseThrow(
                  () ->
                      new InvalidRequestException(
                          model + " has no chat template: use /v1/completions with a prompt"));
      String text =
          template(source, cfg)
              .render(
                  messages,
                  true,
                  request.toolChoice().mode() == ToolChoice.Mode.NONE
                      ? List.of()
                      : request.tools());
      return g.tokenizer().encode(text, false);
    }
    if (request.prompt() == null) {
      throw new InvalidRequestException("'prompt' is required: the text to continue");
    }
    int[] ids = g.tokenizer().encode(request.prompt(), true);
    if (ids.length == 0) {
      throw new InvalidRequestException("'prompt' is empty: give the text to continue");
    }
    return ids;
  }

  /** The compiled template of {@code source} with the package's special tokens. */
  ChatTemplate template(String source, GenerationConfig cfg) {
    return templates.computeIfAbsent(
        new TemplateKey(source, cfg.specialTokens()),
        k -> new ChatTemplate(k.source(), k.specialTokens()));
  }

  /**
   * Refuses a prompt that leaves no room in the context for a completion.
   *
   * @throws InvalidRequestException if {@code promptTokens >= context}
   */
  static void requireRoom(int promptTokens, int context, String model) {
    if (promptTokens >= context) {
      throw new InvalidRequestException(
          "the prompt has "
              + promptTokens
              + " tokens; "
              + model
              + "'s context holds "
              + context
              + " (prompt and completion together): shorten the prompt");
    }
  }
}
