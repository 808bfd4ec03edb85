package io.maaskit.model.error;

/** The request is well-formed but larger than the configured limits (for example > 256 inputs). */
public class PayloadTooLargeException extends InvalidRequestException {
  public PayloadTooLargeException(String message) {
    super(message);
  }
}
