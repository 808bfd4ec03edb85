package io.maaskit.model.error;

/**
 * A package file's size or SHA-256 does not match its manifest; nothing was loaded. The message
 * names the file and both hashes.
 */
public class IntegrityException extends ModelException {
  public IntegrityException(String message) {
    super(message);
  }
}
