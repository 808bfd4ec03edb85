package io.maaskit.model.task.internal;

import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.Generation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** One request in the {@link DecodeLoop}: its choices' sequences and the future of its result. */
public final class DecodeJob {
  private final String model;
  private final int promptTokens;
  private final Cancellation cancellation;
  private final List<DecodeSequence> sequences = new ArrayList<>();
  private final CompletableFuture<Generation> result = new CompletableFuture<>();

  public DecodeJob(String model, int promptTokens, Cancellation cancellation) {
    this.model = model;
    this.promptTokens = promptTokens;
    this.cancellation = cancellation;
  }

  /** Adds a choice (before the job is submitted). */
  public void add(DecodeSequence s) {
    sequences.add(s);
  }

  public List<DecodeSequence> sequences() {
    return sequences;
  }

  public Cancellation cancellation() {
    return cancellation;
  }

  /** Completes when every choice has finished, or exceptionally when the request failed. */
  public CompletableFuture<Generation> result() {
    return result;
  }

  private RuntimeException failure;

  /** Records why the job failed; {@link #end} reports it. */
  void fail(RuntimeException e) {
    if (failure == null) {
      failure = e;
    }
  }

  /** Completes the result: the failure if there was one, else the choices. */
  void end() {
    if (failure != null) {
      result.completeExceptionally(failure);
      return;
    }
    List<Generation.Choice> choices = new ArrayList<>(sequences.size());
    int tokens = 0;
    for (DecodeSequence s : sequences) {
      choices.add(s.choice());
      tokens += s.tokens();
    }
    result.complete(new Generation(model, choices, promptTokens, tokens));
  }
}
