package io.maaskit.functions;

/**
 * Sends one real request through a deployable's own entry point before a SnapStart snapshot (the
 * API Gateway Lambda pushes an API Gateway event through its handler), so the classes, JSON
 * bindings and routes of the request path are loaded and initialised in the snapshot, not on the
 * first request after restore. A deployable without one primes the model only.
 */
public interface RequestPrimer {
  /**
   * Sends the request for {@code model} and returns what it answered (for logs); throws when the
   * answer is not a success.
   */
  String prime(String model) throws Exception;
}
