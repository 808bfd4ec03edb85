package io.maaskit.training;

import io.maaskit.model.error.InvalidRequestException;

/**
 * An invalid training request that names the field at fault. The message reads {@code 'field'
 * <problem>} (the name a queue client sent); a command line that bound the field to a flag prints
 * {@link #naming naming("--flag")} instead.
 */
public class InvalidFieldException extends InvalidRequestException {
  private final String field;
  private final String problem;

  /**
   * @param field the request or hyper-parameter field, e.g. {@code epochs}
   * @param problem the rest of the sentence, e.g. {@code must be > 0, got 0}, or {@code : ...}
   */
  public InvalidFieldException(String field, String problem) {
    super(join("'" + field + "'", problem));
    this.field = field;
    this.problem = problem;
  }

  /** The field at fault, as in the JSON request and the record component. */
  public String field() {
    return field;
  }

  /** What is wrong with it, without the field's name. */
  public String problem() {
    return problem;
  }

  /** The message with {@code name} (e.g. the flag bound to the field) in place of the field. */
  public String naming(String name) {
    return join(name, problem);
  }

  private static String join(String name, String problem) {
    return problem.startsWith(":") ? name + problem : name + " " + problem;
  }
}
