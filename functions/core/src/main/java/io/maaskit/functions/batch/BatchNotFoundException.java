package io.maaskit.functions.batch;

/** A file or batch id that names nothing (404 in the HTTP adapter). */
public class BatchNotFoundException extends RuntimeException {
  public BatchNotFoundException(String message) {
    super(message);
  }
}
