package io.maaskit.model.error;

/** The caller sent something the kit cannot act on; the message says what and how to fix it. */
public class InvalidRequestException extends ModelException {
  public InvalidRequestException(String message) {
    super(message);
  }
}
