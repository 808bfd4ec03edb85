package io.maaskit.model.error;

/** No model (or model file) with that name or version exists in the store. */
public class ModelNotFoundException extends ModelException {
  public ModelNotFoundException(String message) {
    super(message);
  }

  public ModelNotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
