package io.maaskit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generation section of the report, from hand-written side results. */
class GenerationReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void ratiosRoofAndStreamsComeFromBothSidesAndTheRoofOfTheSameRun(@TempDir Path dir)
      throws Exception {
    Path gen = Files.createDirectories(dir.resolve("generation"));
    Files.writeString(gen.resolve("roof.json"), "{\"gb_per_s_best\": 26.9, \"kernel\": \"k\"}");
    Files.writeString(
        gen.resolve("maaskit-fp32.json"),
        "{\"side\":\"maaskit\",\"threads\":2,\"decode\":{\"tokens_per_s_median\":40.0,"
            + "\"text\":\" a b\",\"prompt_tokens\":16,\"new_tokens\":128},"
            + "\"ttft\":{\"ms_median\":600.0,\"prompt_tokens\":256},"
            + "\"streams\":{\"1_tokens_per_s\":40.0,\"8_tokens_per_s\":150.0},"
            + "\"decode_prompt_tokenizes_as_expected\":true,\"ttft_prompt_tokenizes_as_expected\":true}");
    Files.writeString(
        gen.resolve("jlama-fp32.json"),
        "{\"side\":\"jlama\",\"version\":\"0.8.4\",\"decode\":{\"tokens_per_s_median\":25.0,"
            + "\"text\":\"a b\"},\"ttft\":{\"ms_median\":1500.0},"
            + "\"decode_prompt_tokenizes_as_expected\":true,\"ttft_prompt_tokenizes_as_expected\":true}");
    Files.writeString(
        gen.resolve("jlama-fp32.contention.json"),
        "{\"foreign_cores\": 0.05, \"waited_for_quiet_ms\": 1000}");
    Files.writeString(gen.resolve("maaskit-bf16.error"), "unsupported dtype bf16");
    // int4: the roof counts the package's graph bytes, 100 MB here.
    Files.writeString(
        gen.resolve("maaskit-int4.json"),
        "{\"side\":\"maaskit\",\"package_graph_bytes\":100000000,"
            + "\"decode\":{\"tokens_per_s_median\":134.5},\"ttft\":{\"ms_median\":300.0}}");
    // The 1B int4 package: 800 MB per token, 26.9 GB/s = 33.6 tokens/s at the roof.
    Files.writeString(
        gen.resolve("maaskit-1b-int4.json"),
        "{\"side\":\"maaskit\",\"package_graph_bytes\":800000000,"
            + "\"decode\":{\"tokens_per_s_median\":23.54}}");
    Files.writeString(
        gen.resolve("jlama-1b-int4.json"),
        "{\"side\":\"jlama\",\"decode\":{\"tokens_per_s_median\":5.885}}");
    Files.writeString(
        gen.resolve("jlama-int4.json"),
        "{\"side\":\"jlama\",\"decode\":{\"tokens_per_s_median\":100.0},"
            + "\"ttft\":{\"ms_median\":1000.0}}");
    Path results = dir.resolve("results.json");
    Files.writeString(
        results,
        "{\"timestamp\":\"2026-11-29T00:41:05Z\",\"latency_p50_ratio_short\":3.77,"
            + "\"detail\":{\"latency_ms\":{\"fp32\":{}}}}");

    report(dir, gen, results);

    JsonNode r = JSON.readTree(results.toFile());
    assertEquals(1.6, r.path("generation_decode_ratio_fp32").asDouble(), 1e-9);
    assertEquals(0.4, r.path("generation_ttft_ratio_fp32").asDouble(), 1e-9);
    assertEquals(3.75, r.path("generation_streams8_speedup").asDouble(), 1e-9);
    // 26.9 GB/s over 538,060,032 bytes per token = 49.99 tokens/s; 40 of them is 0.8.
    assertEquals(0.8, r.path("generation_roof_fraction_fp32").asDouble(), 0.001);
    assertTrue(r.path("targets").path("generation_decode_ratio_fp32").path("met").asBoolean());
    assertTrue(r.path("targets").path("generation_ttft_ratio_fp32").path("met").asBoolean());
    assertFalse(r.path("targets").path("generation_streams8_speedup").path("met").asBoolean());
    // 26.9 GB/s over 100 MB = 269 tokens/s; 134.5 of them is 0.5, the int4 target.
    assertEquals(0.5, r.path("generation_roof_fraction_int4").asDouble(), 0.001);
    assertTrue(r.path("targets").path("generation_roof_fraction_int4").path("met").asBoolean());
    assertFalse(r.path("targets").path("generation_decode_ratio_int4").path("met").asBoolean());
    assertEquals(
        "Q4", r.path("detail").path("generation").path("int4").path("jlama_precision").asText());
    JsonNode g = r.path("detail").path("generation");
    assertTrue(g.path("fp32").path("greedy_text_equal").asBoolean());
    assertEquals(0.05, g.path("fp32").path("jlama").path("foreign_cores").asDouble(), 1e-9);
    assertEquals("unsupported dtype bf16", g.path("bf16").path("maaskit_error").asText());
    assertFalse(r.has("generation_decode_ratio_bf16_met"));
    // The embedding section did not run: its figures are the previous run's, and say so.
    assertEquals(3.77, r.path("latency_p50_ratio_short").asDouble(), 1e-9);
    assertTrue(r.path("carried_over").toString().contains("embedding"));
    assertEquals(0.7, r.path("generation_roof_fraction_1b_int4").asDouble(), 0.001);
    assertEquals(4.0, r.path("generation_decode_ratio_1b_int4").asDouble(), 1e-9);
    String docs = Files.readString(dir.resolve("performance.md"));
    assertTrue(docs.contains(Generation.START) && docs.contains("| **1.60** |"), docs);
    assertTrue(docs.contains("| 23.5 (0.70) | 5.9 (Q4, 0.17) | **4.00** |"), docs);
  }

  @Test
  void pairedTrialsMakeTheDecodeRatioTheMedianOfTheirRounds(@TempDir Path dir) throws Exception {
    Path gen = Files.createDirectories(dir.resolve("generation"));
    Files.writeString(gen.resolve("roof.json"), "{\"gb_per_s_best\": 26.9}");
    Files.writeString(
        gen.resolve("maaskit-fp32.json"),
        "{\"side\":\"maaskit\",\"decode\":{\"tokens_per_s_median\":40.0}}");
    Files.writeString(
        gen.resolve("jlama-fp32.json"),
        "{\"side\":\"jlama\",\"decode\":{\"tokens_per_s_median\":20.0}}");
    // Three rounds; the host slowed down in the second one, both sides alike.
    Files.writeString(
        gen.resolve("pairs-fp32.json"),
        JSON.writeValueAsString(
            new PairedTrials(3)
                .run("maaskit", new Rounds(30.0, 15.0, 33.0), "jlama", new Rounds(20.0, 10.0, 20.0))
                .toMap()));
    Path results = dir.resolve("results.json");
    Files.writeString(results, "{\"timestamp\":\"2026-12-07T21:00:00Z\"}");

    report(dir, gen, results);

    JsonNode r = JSON.readTree(results.toFile());
    // Per-round ratios 1.5, 1.5, 1.65: the median is 1.5, not the sides' medians' 40 / 20 = 2.
    assertEquals(1.5, r.path("generation_decode_ratio_fp32").asDouble(), 1e-9);
    assertEquals(2.0, r.path("generation_decode_ratio_unpaired_fp32").asDouble(), 1e-9);
    assertEquals(
        3,
        r.path("detail")
            .path("generation")
            .path("fp32")
            .path("paired_decode")
            .path("rounds")
            .asInt());
    String docs = Files.readString(dir.resolve("performance.md"));
    assertTrue(docs.contains("paired trials (3 rounds") && docs.contains("| **1.50** |"), docs);
    assertTrue(docs.contains("| 2.00 (unpaired) |"), docs);
  }

  /** A side's figures, one per round. */
  private static final class Rounds implements java.util.function.DoubleSupplier {
    private final double[] values;
    private int next;

    Rounds(double... values) {
      this.values = values;
    }

    @Override
    public double getAsDouble() {
      return values[next++];
    }
  }

  /** The report over {@code gen}, into {@code results} and {@code dir}'s performance.md. */
  private static void report(Path dir, Path gen, Path results) throws Exception {
    Report.main(
        new String[] {
          "--generation", gen.toString(),
          "--store", dir.resolve("no-store").toString(),
          "--model", "fp32=all-minilm-l6-v2",
          "--results", results.toString(),
          "--docs", dir.resolve("performance.md").toString(),
          "--readme", dir.resolve("README.md").toString()
        });
  }
}
