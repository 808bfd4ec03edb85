package io.maaskit.model.error;

/** The store refused access (credentials, permissions, bucket policy); names the URI. */
public class StoreAccessException extends ModelException {
  public StoreAccessException(String message, Throwable cause) {
    super(message, cause);
  }
}
