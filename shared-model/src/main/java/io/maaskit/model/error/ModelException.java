package io.maaskit.model.error;

/**
 * Base of every error the core raises on purpose. Unchecked and typed: the core never decides a
 * status code; each adapter maps the subtypes once (bad input, unknown model, too large, not ready,
 * integrity).
 */
public abstract class ModelException extends RuntimeException {
  protected ModelException(String message) {
    super(message);
  }

  protected ModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
