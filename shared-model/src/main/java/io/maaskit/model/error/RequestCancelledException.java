package io.maaskit.model.error;

/**
 * The caller no longer wants the result: its client went away or its deadline (a Lambda's remaining
 * time) passed. Raised between sub-batches, so the work that was still pending is not done.
 */
public class RequestCancelledException extends ModelException {
  public RequestCancelledException(String message) {
    super(message);
  }
}
