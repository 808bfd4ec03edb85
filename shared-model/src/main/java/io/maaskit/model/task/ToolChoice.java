package io.maaskit.model.task;

/**
 * Whether and which tool the model must call ({@code tool_choice}).
 *
 * @param mode none, auto, required or one function
 * @param function the function's name when {@code mode} is {@link Mode#FUNCTION}, else null
 */
public record ToolChoice(Mode mode, String function) {
  /** The modes. */
  public enum Mode {
    /** Never call a tool: free text (the tools are not shown to the model). */
    NONE,
    /** The model decides; a call it writes in its family's format is returned as a tool call. */
    AUTO,
    /** Decoding is constrained to one call of a declared function with valid arguments. */
    REQUIRED,
    /** Decoding is constrained to one call of {@link #function()} with valid arguments. */
    FUNCTION
  }

  public static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
  public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
  public static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, null);

  /** A call of the named function. */
  public static ToolChoice function(String name) {
    return new ToolChoice(Mode.FUNCTION, name);
  }
}
