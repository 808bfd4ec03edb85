package io.maaskit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The paired decode driver against sides that are shell scripts speaking its line protocol. */
class GenerationPairsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A side that logs to stdout before it is ready, then answers rounds with the given figures. */
  private static String side(double... figures) {
    StringBuilder s = new StringBuilder("echo loading weights; echo '[pair] ready'; ");
    for (double f : figures) {
      s.append("read line; echo noise; echo '[pair] ").append(f).append("'; ");
    }
    return s.append("read line").toString();
  }

  @Test
  void ratioIsTheMedianOfPerRoundRatiosInAlternatingOrder(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("pairs-fp32.json");
    GenerationPairs.main(
        new String[] {
          "--rounds", "3",
          "--out", out.toString(),
          "--a-cmd", side(30, 15, 33),
          "--b-cmd", side(20, 10, 20)
        });
    JsonNode r = JSON.readTree(out.toFile());
    assertEquals(3, r.path("rounds").asInt());
    assertEquals("maaskit", r.path("a").asText());
    // per round 1.5, 1.5, 1.65
    assertEquals(1.5, r.path("median_ratio").asDouble(), 1e-9);
    assertEquals(1.65, r.path("max_ratio").asDouble(), 1e-9);
    assertEquals(30.0, r.path("median_a").asDouble(), 1e-9);
  }

  @Test
  void aSideThatDiesOrHangsFailsTheTrialsNamingItsLog(@TempDir Path dir) {
    Path out = dir.resolve("pairs-int4.json");
    IOException died =
        assertThrows(
            IOException.class,
            () ->
                GenerationPairs.main(
                    new String[] {
                      "--rounds",
                      "3",
                      "--out",
                      out.toString(),
                      "--a-cmd",
                      side(30, 15, 33),
                      "--b-cmd",
                      "echo 'no kernel for Q8' >&2; exit 1"
                    }));
    assertTrue(died.getMessage().contains("pairs-int4-jlama.log"), died.getMessage());
    IOException hung =
        assertThrows(
            IOException.class,
            () ->
                GenerationPairs.main(
                    new String[] {
                      "--rounds", "3",
                      "--out", out.toString(),
                      "--timeout-s", "2",
                      "--a-cmd", "sleep 600",
                      "--b-cmd", side(20, 10, 20)
                    }));
    assertTrue(hung.getMessage().contains("maaskit exited before answering"), hung.getMessage());
    assertTrue(Files.notExists(out));
  }
}
