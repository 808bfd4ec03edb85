package io.maaskit.tools.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.ParameterException;

/**
 * Runs a picocli command with the conventions every {@code scripts/*} shares: usage on {@code
 * --help} (exit 0); a usage mistake prints {@code error: ...} and a pointer to {@code --help} (exit
 * 2); any other failure prints one {@code error: ...} line (exit 1), with the stack trace only when
 * {@code MAAS_DEBUG} is set.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *   Cli.exit(new ImportModelCli(), args);
 * }
 * }</pre>
 */
public final class Cli {
  /** Success, or usage printed on request. */
  public static final int OK = 0;

  /** The command ran and failed. */
  public static final int FAILED = 1;

  /** A command-line mistake. */
  public static final int USAGE = 2;

  private Cli() {}

  /** Runs {@code command} on the process's streams and exits with its code. */
  public static void exit(Object command, String[] args) {
    System.exit(run(command, args, System.out, System.err));
  }

  /**
   * Runs {@code command} and returns the exit code; what it prints goes to {@code out}/{@code err}.
   */
  public static int run(Object command, String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    if (cl.getDefaultValueProvider() == null) {
      cl.setDefaultValueProvider(new Defaults.Provider());
    }
    // A flag given twice: the last one wins, so a script's own defaults can precede "$@".
    cl.setOverwrittenOptionsAllowed(true);
    cl.setUsageHelpWidth(100);
    cl.setUsageHelpLongOptionsMaxWidth(26);
    cl.setParameterExceptionHandler((e, argv) -> usageError(e.getCommandLine(), message(e)));
    cl.setExecutionExceptionHandler(
        (e, c, parsed) -> {
          if (e instanceof UsageException) {
            return usageError(c, e.getMessage());
          }
          c.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
          if (Defaults.debug()) {
            e.printStackTrace(c.getErr());
          }
          return FAILED;
        });
    int code = cl.execute(args);
    cl.getOut().flush();
    cl.getErr().flush();
    return code;
  }

  /**
   * A mistyped flag is the mistake to report, not the required argument picocli then misses (it
   * checks those first).
   */
  private static String message(ParameterException e) {
    if (e instanceof MissingParameterException) {
      for (String a : e.getCommandLine().getUnmatchedArguments()) {
        if (a.startsWith("-")) {
          return "Unknown option: '" + a + "'";
        }
      }
    }
    String m = e.getMessage();
    return m.startsWith("Error: ") ? m.substring("Error: ".length()) : m; // picocli's group errors
  }

  private static int usageError(CommandLine c, String message) {
    c.getErr().println("error: " + message);
    c.getErr().println("Run '" + c.getCommandName() + " --help' for usage.");
    return USAGE;
  }
}
