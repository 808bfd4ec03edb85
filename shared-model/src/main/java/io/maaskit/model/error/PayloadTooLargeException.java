package io.maaskit.model.error;

/**
 * The request is well-formed but larger than a hard limit of the transport (an HTTP body over the
 * server's maximum, a result over the queue's message size). Too many inputs is a plain {@link
 * InvalidRequestException} (400), as the API documents.
 */
public class PayloadTooLargeException extends InvalidRequestException {
  public PayloadTooLargeException(String message) {
    super(message);
  }
}
