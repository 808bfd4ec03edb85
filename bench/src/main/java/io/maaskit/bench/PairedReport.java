package io.maaskit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The paired-trial section of the report ({@link EmbeddingPairs}' output): copies it under {@code
 * detail.paired}, makes its median ratios the run's headline ratios ({@code latency_p50_ratio_*},
 * {@code throughput_ratio_batch256*}: the figures the targets judge), and renders its table.
 */
final class PairedReport {
  static final String START = "<!-- paired:start -->";
  static final String END = "<!-- paired:end -->";

  private static final ObjectMapper JSON = new ObjectMapper();

  private PairedReport() {}

  /** Folds the paired figures into {@code out}; returns true when there were any. */
  static boolean report(Path file, ObjectNode out, ObjectNode detail, ObjectNode defs)
      throws IOException {
    if (!file.toFile().isFile()) {
      return false;
    }
    JsonNode p = JSON.readTree(file.toFile());
    detail.set("paired", p);
    for (String dtype : List.of("fp32", "int8")) {
      JsonNode d = p.path(dtype);
      if (d.isMissingNode()) {
        continue;
      }
      String sfx = dtype.equals("int8") ? "_int8" : "";
      for (String len : List.of("short", "long")) {
        JsonNode r = d.path("latency_p50_ms_" + len);
        if (!r.isMissingNode()) {
          out.put("latency_p50_ratio_" + len + sfx, round(r.path("median_ratio").asDouble()));
        }
      }
      JsonNode t = d.path("throughput_inputs_per_s_batch256");
      if (!t.isMissingNode()) {
        out.put("throughput_ratio_batch256" + sfx, round(t.path("median_ratio").asDouble()));
      }
    }
    out.put("ratio_source", "paired");
    defs.put(
        "ratio_source",
        "paired: latency_p50_ratio_* and throughput_ratio_batch256* are medians of per-round ratios"
            + " from interleaved paired trials (detail.paired; quartiles there), not ratios of the"
            + " JMH columns, which ran in separate blocks of time");
    return true;
  }

  /** The Markdown table of the paired figures, or a line saying there are none. */
  static String table(ObjectNode out) {
    JsonNode p = out.path("detail").path("paired");
    if (p.isMissingNode()) {
      return "_No paired trials in this run (`scripts/bench --only paired`)._\n";
    }
    StringBuilder md = new StringBuilder();
    md.append(
        "| Figure (maaskit ONNX Runtime / LangChain4j) | dtype | maaskit | LangChain4j | ratio,"
            + " median of rounds | quartiles | range |\n");
    md.append("|---|---|---:|---:|---:|---|---|\n");
    for (String dtype : List.of("fp32", "int8")) {
      JsonNode d = p.path(dtype);
      row(md, d.path("latency_p50_ms_short"), "Latency p50, one short input, ms", dtype);
      row(md, d.path("latency_p50_ms_long"), "Latency p50, one long input, ms", dtype);
      row(
          md,
          d.path("throughput_inputs_per_s_batch256"),
          "Throughput, batch of 256, inputs/s",
          dtype);
    }
    md.append(
        String.format(
            Locale.ROOT,
            "%n%d rounds; each round measures both sides back to back, in alternating order (%d"
                + " calls per latency figure, %d calls of the batch per throughput figure), in one"
                + " JVM, %d threads per side.%n",
            p.path("rounds").asInt(),
            p.path("latency_calls_per_round").asInt(),
            p.path("batches_per_round").asInt(),
            p.path("threads").asInt()));
    return md.toString();
  }

  private static void row(StringBuilder md, JsonNode r, String what, String dtype) {
    if (r.isMissingNode()) {
      return;
    }
    md.append(
        String.format(
            Locale.ROOT,
            "| %s | %s | %.2f | %.2f | **%.3f** | %.3f–%.3f | %.3f–%.3f |%n",
            what,
            dtype,
            r.path("median_a").asDouble(),
            r.path("median_b").asDouble(),
            r.path("median_ratio").asDouble(),
            r.path("q1_ratio").asDouble(),
            r.path("q3_ratio").asDouble(),
            r.path("min_ratio").asDouble(),
            r.path("max_ratio").asDouble()));
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
