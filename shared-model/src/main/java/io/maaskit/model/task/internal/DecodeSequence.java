package io.maaskit.model.task.internal;

import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextTokenizer;
import io.maaskit.model.task.FinishReason;
import io.maaskit.model.task.Generation;
import io.maaskit.model.task.GenerationListener;
import io.maaskit.model.task.ToolCall;
import io.maaskit.model.task.internal.constraint.TokenConstraint;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One choice being generated: its cache, sampler, detokenizer and stop filter. Each {@link #step}
 * takes the logits the last forward call gave it, picks a token, and hands final text to the
 * listener; {@link #feed()} is what goes into the next forward call (the prompt first, then the
 * last token).
 */
public final class DecodeSequence {
  private final DecodeJob job;
  private final int index;
  private final TextTokenizer tokenizer;
  private final Sampler sampler;
  private final Set<Integer> stopIds;
  private final int maxTokens;
  private final Integer topLogprobs;
  private final GenerationListener listener;
  private final OutputRules rules;
  private final StringBuilder held = new StringBuilder();
  private boolean holding;
  private List<ToolCall> calls = List.of();
  private String content;
  private final IncrementalDetokenizer detok;
  private final StopFilter stop;
  private final List<Generation.TokenLogprob> logprobs;
  private List<Generation.TokenLogprob> pending = new ArrayList<>();
  private TextGenerator.KvCache cache;
  private int[] feed;
  private int tokens;
  private FinishReason finish;
  private boolean aborted;

  /**
   * @param prompt the prompt's token ids (fed at the first step)
   * @param stopIds ids that end the choice (end-of-sequence and the request's)
   * @param stops stop strings
   * @param topLogprobs null for no log-probabilities, else alternatives per token
   */
  /**
   * @param prompt the prompt's token ids (fed at the first step)
   * @param stopIds ids that end the choice (end-of-sequence and the request's)
   * @param stops stop strings
   * @param topLogprobs null for no log-probabilities, else alternatives per token
   * @param rules a grammar to decode under and tool calls to look for
   */
  public DecodeSequence(
      DecodeJob job,
      int index,
      TextTokenizer tokenizer,
      Sampler sampler,
      int[] prompt,
      Set<Integer> stopIds,
      List<String> stops,
      int maxTokens,
      Integer topLogprobs,
      GenerationListener listener,
      OutputRules rules) {
    this.job = job;
    this.index = index;
    this.tokenizer = tokenizer;
    this.sampler = sampler;
    this.feed = prompt;
    this.stopIds = Set.copyOf(stopIds);
    this.maxTokens = maxTokens;
    this.topLogprobs = topLogprobs;
    this.listener = listener;
    this.rules = rules;
    this.holding = rules.toolCalls() != null;
    this.detok = new IncrementalDetokenizer(tokenizer);
    this.stop = new StopFilter(stops);
    this.logprobs = topLogprobs == null ? null : new ArrayList<>();
  }

  DecodeJob job() {
    return job;
  }

  TextGenerator.KvCache cache(TextGenerator generator) {
    if (cache == null) {
      cache = generator.newCache();
    }
    return cache;
  }

  int[] feed() {
    return feed;
  }

  int tokens() {
    return tokens;
  }

  boolean done() {
    return finish != null || aborted;
  }

  void abort() {
    aborted = true;
  }

  void close() {
    if (cache != null) {
      cache.close();
      cache = null;
    }
  }

  /** Takes the logits that predict this sequence's next token. */
  void step(float[] logits) {
    if (done()) {
      return;
    }
    TokenConstraint constraint = rules.constraint();
    float[] row =
        constraint == null ? logits : constraint.mask(logits, maxTokens - tokens, stopIds);
    int id = sampler.sample(row);
    tokens++;
    if (stopIds.contains(id)) {
      finish(FinishReason.STOP, stop.push(detok.flush()));
      return;
    }
    sampler.accept(id);
    if (constraint != null) {
      constraint.accept(id);
    }
    if (logprobs != null) {
      Generation.TokenLogprob lp = logprob(logits, id);
      logprobs.add(lp);
      pending.add(lp);
    }
    String out = stop.push(detok.add(id));
    if (stop.stopped()) {
      finish(FinishReason.STOP, out);
      return;
    }
    if (constraint != null && constraint.complete()) {
      finish(FinishReason.STOP, out + stop.push(detok.flush()));
      return;
    }
    if (tokens >= maxTokens) {
      String rest = out + stop.push(detok.flush());
      finish(stop.stopped() ? FinishReason.STOP : FinishReason.LENGTH, rest);
      return;
    }
    send(out);
    feed = new int[] {id};
  }

  /** Emits text, unless it may still be a tool call (then it waits for the end or a release). */
  private void send(String out) {
    if (holding) {
      held.append(out);
      if (rules.onlyCall() || rules.toolCalls().mayBeCall(held.toString())) {
        return;
      }
      holding = false;
      out = held.toString();
      held.setLength(0);
    }
    if (!out.isEmpty()) {
      emit(out);
    }
  }

  private void finish(FinishReason reason, String out) {
    String rest = stop.stopped() ? out : out + stop.flush();
    if (rules.toolCalls() != null) {
      ToolCallParser.Parsed parsed = rules.toolCalls().parse(stop.text());
      if (!parsed.calls().isEmpty()) {
        calls = parsed.calls();
        content = parsed.content();
        finish = FinishReason.TOOL_CALLS;
        listener.toolCalls(index, calls);
        listener.finished(index, finish);
        return;
      }
      if (holding) {
        rest = held + rest;
        held.setLength(0);
        holding = false;
      }
    }
    if (!rest.isEmpty() || !pending.isEmpty()) {
      emit(rest);
    }
    finish = reason;
    listener.finished(index, reason);
  }

  private void emit(String text) {
    List<Generation.TokenLogprob> lps = logprobs == null ? null : pending;
    if (logprobs != null) {
      pending = new ArrayList<>();
    }
    listener.delta(index, text, lps);
  }

  private Generation.TokenLogprob logprob(float[] logits, int id) {
    double[] lp = Sampler.logSoftmax(logits);
    List<Generation.TopLogprob> top = new ArrayList<>();
    for (int t : Sampler.top(lp, topLogprobs)) {
      byte[] b = tokenizer.tokenBytes(t);
      top.add(new Generation.TopLogprob(text(b), t, lp[t], b));
    }
    byte[] b = tokenizer.tokenBytes(id);
    return new Generation.TokenLogprob(text(b), id, lp[id], b, top);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  Generation.Choice choice() {
    return new Generation.Choice(
        index, calls.isEmpty() ? stop.text() : content, finish, logprobs, tokens, calls);
  }
}
