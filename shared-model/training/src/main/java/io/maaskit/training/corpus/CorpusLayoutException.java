package io.maaskit.training.corpus;

import java.io.IOException;

/**
 * The given path is not (or does not contain) the SpamAssassin npm package's data folders. Separate
 * from other I/O errors because it is a usage error the user fixes by pointing at the right
 * directory, and the CLI reports it with its own exit code.
 */
public class CorpusLayoutException extends IOException {
  private static final long serialVersionUID = 1L;

  public CorpusLayoutException(String message) {
    super(message);
  }
}
