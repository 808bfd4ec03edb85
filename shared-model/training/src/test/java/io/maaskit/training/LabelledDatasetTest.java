package io.maaskit.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.error.InvalidRequestException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelledDatasetTest {
  @TempDir Path dir;

  static LabelledDataset parse(String jsonl) throws IOException {
    return LabelledDataset.read(
        new ByteArrayInputStream(jsonl.getBytes(StandardCharsets.UTF_8)), "data.jsonl");
  }

  static String formatError(String jsonl) {
    return assertThrows(DatasetFormatException.class, () -> parse(jsonl)).getMessage();
  }

  @Test
  void readsTextAndLabelSkipsBlankLinesAndIgnoresOtherFields() throws Exception {
    Path f = dir.resolve("d.jsonl");
    Files.writeString(
        f,
        "{\"text\": \"win money\", \"label\": \"spam\", \"source\": \"spam-1\", \"id\": \"x\"}\n\n"
            + "{\"label\": \"ham\", \"text\": \"lunch at noon?\"}\n");
    LabelledDataset d = LabelledDataset.read(DatasetSource.local(), f.toString());
    assertEquals(2, d.size());
    assertEquals(List.of("ham", "spam"), d.labels());
    assertEquals("lunch at noon?", d.examples().get(1).text());
    assertEquals(3, d.examples().get(1).line());
    assertEquals(Map.of("ham", 1, "spam", 1), d.counts());
  }

  @Test
  void malformedLinesNameTheFileAndLine() {
    String ok = "{\"text\": \"a\", \"label\": \"x\"}\n";
    assertTrue(
        formatError(ok + "{\"text\": \"b\", \"label\": \n")
            .startsWith("data.jsonl line 2: not valid JSON"));
    assertTrue(
        formatError(ok + ok + "{\"text\": \"b\"} trailing\n")
            .startsWith("data.jsonl line 3: not valid JSON"));
    assertEquals(
        "data.jsonl line 2: missing \"label\" field", formatError(ok + "{\"text\": \"b\"}\n"));
    assertEquals("data.jsonl line 1: missing \"text\" field", formatError("{\"label\": \"x\"}\n"));
    assertEquals(
        "data.jsonl line 2: \"label\" must be a string, got a number (write labels as names, e.g. \"spam\")",
        formatError(ok + "{\"text\": \"b\", \"label\": 1}\n"));
    assertEquals(
        "data.jsonl line 1: \"text\" is empty",
        formatError("{\"text\": \" \", \"label\": \"x\"}\n"));
    assertTrue(formatError("[1, 2]\n").startsWith("data.jsonl line 1: expected a JSON object"));
  }

  @Test
  void emptyAndSingleLabelDatasetsAreRefused() throws Exception {
    String empty =
        assertThrows(InvalidRequestException.class, () -> parse("\n\n").requireTrainable())
            .getMessage();
    assertTrue(empty.startsWith("dataset data.jsonl has no examples"), empty);
    String one =
        assertThrows(
                InvalidRequestException.class,
                () ->
                    parse(
                            "{\"text\": \"a\", \"label\": \"spam\"}\n{\"text\": \"b\", \"label\": \"spam\"}\n")
                        .requireTrainable())
            .getMessage();
    assertEquals(
        "dataset data.jsonl has only one label ('spam', 2 examples): a classifier needs examples of at least"
            + " two labels",
        one);
  }

  @Test
  void missingFileIsNamed() {
    NoSuchFileException e =
        assertThrows(
            NoSuchFileException.class,
            () ->
                LabelledDataset.read(DatasetSource.local(), dir.resolve("nope.jsonl").toString()));
    assertTrue(e.getMessage().contains("nope.jsonl"));
  }

  static LabelledDataset imbalanced() {
    List<LabelledDataset.Example> ex = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      ex.add(new LabelledDataset.Example("text " + i, i % 4 == 0 ? "spam" : "ham", i + 1));
    }
    return LabelledDataset.of("mem", ex);
  }

  @Test
  void stratifiedSplitKeepsLabelProportions() {
    LabelledDataset d = imbalanced(); // 90 ham, 30 spam
    LabelledDataset.Split s = d.split(0.2, 7);
    assertEquals(Map.of("ham", 18, "spam", 6), s.validation().counts());
    assertEquals(Map.of("ham", 72, "spam", 24), s.train().counts());
    Set<Integer> train = new HashSet<>();
    s.train().examples().forEach(e -> train.add(e.line()));
    Set<Integer> all = new HashSet<>(train);
    for (LabelledDataset.Example e : s.validation().examples()) {
      assertTrue(all.add(e.line()), "example on line " + e.line() + " is in both splits");
    }
    assertEquals(120, all.size());
  }

  @Test
  void splitIsDeterministicPerSeed() {
    LabelledDataset d = imbalanced();
    List<Integer> a =
        d.split(0.2, 7).validation().examples().stream()
            .map(LabelledDataset.Example::line)
            .toList();
    List<Integer> b =
        d.split(0.2, 7).validation().examples().stream()
            .map(LabelledDataset.Example::line)
            .toList();
    List<Integer> c =
        d.split(0.2, 8).validation().examples().stream()
            .map(LabelledDataset.Example::line)
            .toList();
    assertEquals(a, b);
    assertNotEquals(a, c);
  }

  @Test
  void tinyLabelsStayInTrainingAndTooSmallDatasetsAreRefused() {
    LabelledDataset d =
        LabelledDataset.of(
            "mem",
            List.of(
                new LabelledDataset.Example("a", "x", 1),
                new LabelledDataset.Example("b", "x", 2),
                new LabelledDataset.Example("c", "y", 3)));
    LabelledDataset.Split s = d.split(0.1, 1);
    assertEquals(Map.of("x", 1), s.validation().counts());
    assertEquals(Map.of("x", 1, "y", 1), s.train().counts());
    LabelledDataset two =
        LabelledDataset.of(
            "mem",
            List.of(
                new LabelledDataset.Example("a", "x", 1),
                new LabelledDataset.Example("c", "y", 2)));
    String msg = assertThrows(InvalidRequestException.class, () -> two.split(0.5, 1)).getMessage();
    assertTrue(msg.contains("too small to hold out a validation split"), msg);
  }
}
