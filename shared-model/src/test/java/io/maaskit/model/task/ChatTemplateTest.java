package io.maaskit.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.error.InvalidRequestException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Published chat templates rendered to the prompts their model cards document. The expected strings
 * are written by hand from the published formats (ChatML, Llama 3, Zephyr), not computed.
 */
class ChatTemplateTest {
  /** SmolLM2-135M-Instruct's {@code chat_template} (ChatML with a default system prompt). */
  static final String SMOLLM2 =
      "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
          + "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging"
          + " Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' +"
          + " message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
          + "{{ '<|im_start|>assistant\n' }}{% endif %}";

  /** Meta-Llama-3-8B-Instruct's {@code chat_template}. */
  static final String LLAMA3 =
      "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content ="
          + " '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] |"
          + " trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content"
          + " %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{"
          + " '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

  /** TinyLlama-1.1B-Chat-v1.0's {@code chat_template} (Zephyr). */
  static final String ZEPHYR =
      "{% for message in messages %}\n"
          + "{% if message['role'] == 'user' %}\n"
          + "{{ '<|user|>\n' + message['content'] + eos_token }}\n"
          + "{% elif message['role'] == 'system' %}\n"
          + "{{ '<|system|>\n' + message['content'] + eos_token }}\n"
          + "{% elif message['role'] == 'assistant' %}\n"
          + "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
          + "{% endif %}\n"
          + "{% if loop.last and add_generation_prompt %}\n"
          + "{{ '<|assistant|>' }}\n"
          + "{% endif %}\n"
          + "{% endfor %}";

  /** Mistral-style role check. */
  static final String ALTERNATING =
      "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') !="
          + " (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate"
          + " user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}"
          + "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] =="
          + " 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}";

  private static final List<ChatMessage> CONVERSATION =
      List.of(
          new ChatMessage("system", "Be brief."),
          new ChatMessage("user", "Hi"),
          new ChatMessage("assistant", "Hello!"),
          new ChatMessage("user", "Bye"));

  @Test
  void chatMlWithTheDefaultSystemPrompt() {
    ChatTemplate t = new ChatTemplate(SMOLLM2, Map.of("eos_token", "<|im_end|>"));
    assertEquals(
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging"
            + " Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
        t.render(List.of(new ChatMessage("user", "Hi")), true));
  }

  @Test
  void chatMlConversation() {
    ChatTemplate t = new ChatTemplate(SMOLLM2, Map.of());
    assertEquals(
        "<|im_start|>system\nBe brief.<|im_end|>\n"
            + "<|im_start|>user\nHi<|im_end|>\n"
            + "<|im_start|>assistant\nHello!<|im_end|>\n"
            + "<|im_start|>user\nBye<|im_end|>\n",
        t.render(CONVERSATION, false));
  }

  @Test
  void llama3TrimsContentAndStartsWithBos() {
    ChatTemplate t =
        new ChatTemplate(
            LLAMA3, Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"));
    assertEquals(
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
        t.render(
            List.of(
                new ChatMessage("system", "Be brief."), new ChatMessage("user", "  Hi there \n")),
            true));
  }

  @Test
  void zephyrNeedsTrimAndLstripBlocks() {
    ChatTemplate t = new ChatTemplate(ZEPHYR, Map.of("bos_token", "<s>", "eos_token", "</s>"));
    assertEquals(
        "<|system|>\nYou are a friendly chatbot.</s>\n<|user|>\nHow are you?</s>\n<|assistant|>\n",
        t.render(
            List.of(
                new ChatMessage("system", "You are a friendly chatbot."),
                new ChatMessage("user", "How are you?")),
            true));
  }

  @Test
  void raiseExceptionIsA400WithTheTemplatesMessage() {
    ChatTemplate t = new ChatTemplate(ALTERNATING, Map.of("bos_token", "<s>", "eos_token", "</s>"));
    assertEquals(
        "<s>[INST] Hi [/INST]Hello!</s>",
        t.render(
            List.of(new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello!")), true));
    InvalidRequestException e =
        assertThrows(
            InvalidRequestException.class,
            () ->
                t.render(
                    List.of(new ChatMessage("user", "Hi"), new ChatMessage("user", "again")),
                    true));
    assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
  }

  @Test
  void aBrokenTemplateIsA400() {
    ChatTemplate t = new ChatTemplate("{% for m in messages %}{{ m['content'] }", Map.of());
    assertThrows(
        InvalidRequestException.class,
        () -> t.render(List.of(new ChatMessage("user", "Hi")), true));
  }
}
