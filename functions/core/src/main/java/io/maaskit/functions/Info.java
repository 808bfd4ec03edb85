package io.maaskit.functions;

import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.Admission;
import java.util.List;

/**
 * What {@code GET /info} returns: the kind of store (never its path or bucket: {@code local} or
 * {@code s3://…}), the limits a request is held to, each model's state and last load's accounting,
 * the memory budget, and which models were unloaded and why.
 */
public record Info(
    String store,
    Limits limits,
    Generation generation,
    Explain explain,
    Memory memory,
    List<ModelRegistry.Status> models,
    List<ModelRegistry.Unloaded> unloaded) {
  /**
   * The registry's memory budget.
   *
   * @param budgetBytes most bytes of weights held at once; 0 = unlimited
   * @param bytesInUse held now by loaded models and loads in flight
   */
  public record Memory(long budgetBytes, long bytesInUse) {}

  /**
   * {@code /explain}'s limits.
   *
   * @param maxInputs most inputs per request (more: 400)
   * @param maxCost most token-passes per request (per input its tokens times its method's forward
   *     passes, a gradient step counting three; more: 413); 0 = no limit
   * @param defaultSteps Integrated Gradients steps when a request gives none
   * @param maxSteps most steps a request may ask for
   */
  public record Explain(int maxInputs, long maxCost, int defaultSteps, int maxSteps) {}

  /**
   * Text generation's limits and load.
   *
   * @param maxSequences sequences decoded together per generator
   * @param maxQueuedRequests requests that may wait for room (more: 503 + Retry-After)
   * @param activeSequences sequences decoding now, over every generator
   * @param queuedRequests requests waiting for room now
   */
  public record Generation(
      int maxSequences, int maxQueuedRequests, int activeSequences, int queuedRequests) {}

  /**
   * The limits every request is held to, and how busy the process is.
   *
   * @param maxInputs most inputs per request (more: 400)
   * @param maxRequestTokens most tokens per request after truncation (more: 413); 0 = no limit
   * @param maxConcurrentBatches forward passes in flight at once
   * @param maxQueuedRequests requests that may wait for one (more: 503 + Retry-After)
   * @param requestsInside requests admitted now (running or waiting)
   * @param workInside their price: inputs × tokens, estimated before tokenizing
   * @param requestsRefused requests refused with 503 since start (at capacity)
   * @param requestsCancelled requests stopped since start because their client went away
   */
  public record Limits(
      int maxInputs,
      long maxRequestTokens,
      int maxConcurrentBatches,
      int maxQueuedRequests,
      int requestsInside,
      long workInside,
      long requestsRefused,
      long requestsCancelled) {}

  static Info of(
      ModelRegistry registry,
      int maxInputs,
      Admission admission,
      io.maaskit.model.task.GenerationService generation,
      io.maaskit.model.task.ExplainService explain) {
    var o = admission.options();
    var g = generation.options();
    return new Info(
        redact(registry.store().uri()),
        new Limits(
            maxInputs,
            o.maxRequestTokens(),
            o.maxConcurrentBatches(),
            o.maxQueuedRequests(),
            admission.inside(),
            admission.workInside(),
            admission.refused(),
            admission.cancelled()),
        new Generation(
            g.maxSequences(),
            g.maxQueuedRequests(),
            generation.activeSequences(),
            generation.queuedRequests()),
        new Explain(
            explain.maxInputs(),
            explain.maxCost(),
            explain.defaultSteps(),
            io.maaskit.model.task.ExplainService.MAX_STEPS),
        new Memory(registry.options().memoryBudgetBytes(), registry.bytesInUse()),
        registry.status(),
        registry.unloaded());
  }

  /** {@code s3://…} for an S3 store, {@code local} for a directory: no bucket, no path. */
  static String redact(String storeUri) {
    return storeUri != null && storeUri.startsWith("s3://") ? "s3://…" : "local";
  }
}
