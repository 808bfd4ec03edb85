package io.maaskit.functions.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.maaskit.model.task.FinishReason;
import io.maaskit.model.task.Generation;
import io.maaskit.model.task.ToolCall;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * OpenAI text generation shapes: {@code POST /v1/completions} and {@code POST
 * /v1/chat/completions}, whole and as stream chunks, with usage and log-probabilities. Every field
 * the official clients require is always written (null where OpenAI writes null): openai-java and
 * openai-node read these.
 */
public final class OpenAiGeneration {
  private OpenAiGeneration() {}

  /** A response id: {@code cmpl-…} or {@code chatcmpl-…}. */
  public static String id(boolean chat) {
    return (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
  }

  /** Seconds since the epoch, as {@code created} has it. */
  public static long now() {
    return System.currentTimeMillis() / 1000;
  }

  /** Token accounting. */
  public record Usage(
      @JsonProperty("prompt_tokens") int promptTokens,
      @JsonProperty("completion_tokens") int completionTokens,
      @JsonProperty("total_tokens") int totalTokens) {
    public static Usage of(Generation g) {
      return new Usage(
          g.promptTokens(), g.completionTokens(), g.promptTokens() + g.completionTokens());
    }
  }

  // ---- completions ----

  /** {@code text_completion}. */
  public record Completion(
      String id,
      String object,
      long created,
      String model,
      List<CompletionChoice> choices,
      Usage usage,
      @JsonProperty("system_fingerprint") String systemFingerprint) {}

  /** One completion choice (whole or a chunk's piece). */
  public record CompletionChoice(
      int index,
      String text,
      CompletionLogprobs logprobs,
      @JsonProperty("finish_reason") String finishReason) {}

  /** The legacy completions log-probability layout: parallel arrays. */
  public record CompletionLogprobs(
      List<String> tokens,
      @JsonProperty("token_logprobs") List<Double> tokenLogprobs,
      @JsonProperty("top_logprobs") List<Map<String, Double>> topLogprobs,
      @JsonProperty("text_offset") List<Integer> textOffset) {
    /** From the core's per-token log-probabilities; offsets count from {@code offset}. */
    public static CompletionLogprobs of(List<Generation.TokenLogprob> lps, int offset) {
      List<String> tokens = new ArrayList<>();
      List<Double> values = new ArrayList<>();
      List<Map<String, Double>> top = new ArrayList<>();
      List<Integer> offsets = new ArrayList<>();
      int at = offset;
      for (Generation.TokenLogprob t : lps) {
        tokens.add(t.token());
        values.add(t.logprob());
        Map<String, Double> alt = new LinkedHashMap<>();
        for (Generation.TopLogprob a : t.top()) {
          alt.putIfAbsent(a.token(), a.logprob());
        }
        top.add(alt);
        offsets.add(at);
        at += t.token().length();
      }
      return new CompletionLogprobs(tokens, values, top, offsets);
    }
  }

  /** The whole completions response. */
  public static Completion completion(Generation g, String id, long created) {
    List<CompletionChoice> choices = new ArrayList<>();
    for (Generation.Choice c : g.choices()) {
      choices.add(
          new CompletionChoice(
              c.index(),
              c.text(),
              c.logprobs() == null ? null : CompletionLogprobs.of(c.logprobs(), 0),
              c.finishReason().key()));
    }
    return new Completion(id, "text_completion", created, g.model(), choices, Usage.of(g), null);
  }

  // ---- chat completions ----

  /** {@code chat.completion}. */
  public record ChatCompletion(
      String id,
      String object,
      long created,
      String model,
      List<ChatChoice> choices,
      Usage usage,
      @JsonProperty("system_fingerprint") String systemFingerprint) {}

  /** One chat choice. */
  public record ChatChoice(
      int index,
      Message message,
      ChatLogprobs logprobs,
      @JsonProperty("finish_reason") String finishReason) {}

  /** The assistant's message; {@code content} is null when it is only tool calls. */
  public record Message(
      String role,
      String content,
      String refusal,
      @JsonProperty("tool_calls") @JsonInclude(JsonInclude.Include.NON_EMPTY)
          List<ToolCallOut> toolCalls) {}

  /** A tool call as OpenAI writes it ({@code index} only in stream deltas). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ToolCallOut(Integer index, String id, String type, FunctionCall function) {
    static List<ToolCallOut> of(List<ToolCall> calls, boolean indexed) {
      List<ToolCallOut> out = new ArrayList<>();
      for (int i = 0; i < calls.size(); i++) {
        ToolCall c = calls.get(i);
        out.add(
            new ToolCallOut(
                indexed ? i : null, c.id(), "function", new FunctionCall(c.name(), c.arguments())));
      }
      return out;
    }
  }

  /** The function a call names and its arguments (a JSON text). */
  public record FunctionCall(String name, String arguments) {}

  /** Chat log-probabilities: one entry per generated token. */
  public record ChatLogprobs(List<TokenLogprob> content, List<TokenLogprob> refusal) {
    public static ChatLogprobs of(List<Generation.TokenLogprob> lps) {
      List<TokenLogprob> out = new ArrayList<>();
      for (Generation.TokenLogprob t : lps) {
        List<TopLogprob> top = new ArrayList<>();
        for (Generation.TopLogprob a : t.top()) {
          top.add(new TopLogprob(a.token(), a.logprob(), bytes(a.bytes())));
        }
        out.add(new TokenLogprob(t.token(), t.logprob(), bytes(t.bytes()), top));
      }
      return new ChatLogprobs(out, null);
    }
  }

  /** A token, its log-probability, its UTF-8 bytes and the alternatives. */
  public record TokenLogprob(
      String token,
      double logprob,
      List<Integer> bytes,
      @JsonProperty("top_logprobs") List<TopLogprob> topLogprobs) {}

  /** An alternative token. */
  public record TopLogprob(String token, double logprob, List<Integer> bytes) {}

  static List<Integer> bytes(byte[] b) {
    List<Integer> out = new ArrayList<>(b.length);
    for (byte x : b) {
      out.add(x & 0xFF);
    }
    return out;
  }

  /** The whole chat completions response. */
  public static ChatCompletion chat(Generation g, String id, long created) {
    List<ChatChoice> choices = new ArrayList<>();
    for (Generation.Choice c : g.choices()) {
      choices.add(
          new ChatChoice(
              c.index(),
              new Message(
                  "assistant",
                  c.toolCalls().isEmpty() || !c.text().isEmpty() ? c.text() : null,
                  null,
                  ToolCallOut.of(c.toolCalls(), false)),
              c.logprobs() == null ? null : ChatLogprobs.of(c.logprobs()),
              c.finishReason().key()));
    }
    return new ChatCompletion(
        id, "chat.completion", created, g.model(), choices, Usage.of(g), null);
  }

  // ---- stream chunks ----

  /** A {@code chat.completion.chunk}; {@code usage} only on the last one, when asked for. */
  public record ChatChunk(
      String id,
      String object,
      long created,
      String model,
      List<ChunkChoice> choices,
      @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage,
      @JsonProperty("system_fingerprint") String systemFingerprint) {}

  /** One choice's piece of a chat chunk. */
  public record ChunkChoice(
      int index,
      Delta delta,
      ChatLogprobs logprobs,
      @JsonProperty("finish_reason") String finishReason) {}

  /** What a chat chunk adds: the role (first chunk), content, tool calls. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Delta(
      String role, String content, @JsonProperty("tool_calls") List<ToolCallOut> toolCalls) {
    public Delta(String role, String content) {
      this(role, content, null);
    }
  }

  /** A completions stream chunk ({@code text_completion} objects). */
  public record CompletionChunk(
      String id,
      String object,
      long created,
      String model,
      List<CompletionChoice> choices,
      @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage,
      @JsonProperty("system_fingerprint") String systemFingerprint) {}

  /** Builds the chunks of one stream (one id, one created time). */
  public record Chunks(String id, long created, String model, boolean chat) {
    /** The first chunk per choice: the assistant role, empty content (clients require it). */
    public Object role(int index) {
      return chat
          ? new ChatChunk(
              id,
              "chat.completion.chunk",
              created,
              model,
              List.of(new ChunkChoice(index, new Delta("assistant", ""), null, null)),
              null,
              null)
          : null;
    }

    /** New text of a choice, with its tokens' log-probabilities when asked for. */
    public Object delta(int index, String text, List<Generation.TokenLogprob> lps, int textOffset) {
      if (chat) {
        return chatChunk(
            new ChunkChoice(
                index, new Delta(null, text), lps == null ? null : ChatLogprobs.of(lps), null));
      }
      return new CompletionChunk(
          id,
          "text_completion",
          created,
          model,
          List.of(
              new CompletionChoice(
                  index, text, lps == null ? null : CompletionLogprobs.of(lps, textOffset), null)),
          null,
          null);
    }

    /** A choice's tool calls, whole, in one chunk (before its finish chunk). */
    public Object toolCalls(int index, List<ToolCall> calls) {
      return chatChunk(
          new ChunkChoice(index, new Delta(null, null, ToolCallOut.of(calls, true)), null, null));
    }

    private ChatChunk chatChunk(ChunkChoice choice) {
      return new ChatChunk(
          id, "chat.completion.chunk", created, model, List.of(choice), null, null);
    }

    /** A choice's end. */
    public Object finish(int index, FinishReason reason) {
      if (chat) {
        return new ChatChunk(
            id,
            "chat.completion.chunk",
            created,
            model,
            List.of(new ChunkChoice(index, new Delta(null, null), null, reason.key())),
            null,
            null);
      }
      return new CompletionChunk(
          id,
          "text_completion",
          created,
          model,
          List.of(new CompletionChoice(index, "", null, reason.key())),
          null,
          null);
    }

    /** The last chunk when {@code stream_options.include_usage}: no choices, the usage. */
    public Object usage(Generation g) {
      return chat
          ? new ChatChunk(id, "chat.completion.chunk", created, model, List.of(), Usage.of(g), null)
          : new CompletionChunk(
              id, "text_completion", created, model, List.of(), Usage.of(g), null);
    }
  }
}
