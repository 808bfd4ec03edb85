package io.maaskit.training;

import java.io.IOException;

/**
 * A line of a JSONL dataset cannot be used: not JSON, not an object, or a missing or mistyped
 * {@code text}/{@code label}. The message names the file and the 1-based line number.
 */
public class DatasetFormatException extends IOException {
  private final String location;
  private final int line;

  public DatasetFormatException(String location, int line, String problem) {
    super(location + " line " + line + ": " + problem);
    this.location = location;
    this.line = line;
  }

  /** The dataset's location. */
  public String location() {
    return location;
  }

  /** 1-based line number. */
  public int line() {
    return line;
  }
}
