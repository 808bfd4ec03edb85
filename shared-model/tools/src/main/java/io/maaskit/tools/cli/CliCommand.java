package io.maaskit.tools.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What every command shares: {@code -h/--help}, and results printed to picocli's streams. */
abstract class CliCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Override
  public final Integer call() throws Exception {
    run();
    return Cli.OK;
  }

  /** The command's work; throw {@link UsageException} for a mistake on the command line. */
  abstract void run() throws Exception;

  /** Results (stdout). Progress goes to stderr. */
  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** Progress (stderr). */
  PrintWriter err() {
    return spec.commandLine().getErr();
  }
}
