package io.maaskit.tools.cli;

/**
 * A command-line mistake found after parsing (a combination of flags, a value the model rejects):
 * {@link Cli} prints it with a pointer to {@code --help} and exits 2.
 */
public final class UsageException extends RuntimeException {
  public UsageException(String message) {
    super(message);
  }
}
