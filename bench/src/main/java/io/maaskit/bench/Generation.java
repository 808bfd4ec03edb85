package io.maaskit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The generation section of the report: reads what {@code scripts/bench} left in its generation
 * folder ({@code roof.json} from {@link MemoryRoof}, {@code maaskit-<dtype>.json} from {@link
 * GenerationBench}, {@code jlama-<dtype>.json} from the Jlama peer, {@code *.error} when a side
 * could not run, {@code profile-<dtype>.json} and {@code profile-1b-int4.json} from {@code
 * GenerationBench --profile-dir}, {@code pairs-<dtype>.json} from {@link GenerationPairs}) and
 * turns it into {@code results.json} entries and the Markdown table between {@link #START} and
 * {@link #END}.
 */
final class Generation {
  static final String START = "<!-- bench-generation:start -->";
  static final String END = "<!-- bench-generation:end -->";

  /**
   * The kit's precisions, each against Jlama's nearest (fp32 vs F32, int8 vs Q8, int4 vs Q4; bf16:
   * a bf16 checkpoint on both sides).
   */
  static final String[] DTYPES = {"fp32", "int8", "int4", "bf16"};

  /** Targets of issue #21. */
  static final double DECODE_TARGET = 1.5;

  static final double ROOF_TARGET_INT4 = 0.5;
  static final double ROOF_TARGET_1B_INT4 = 0.7;
  static final double TTFT_TARGET = 0.5;
  static final double STREAMS_TARGET = 4;

  /** Jlama's precision beside the kit's. */
  static String peer(String dt) {
    return switch (dt) {
      case "int8" -> "Q8";
      case "int4" -> "Q4";
      case "bf16" -> "BF16";
      default -> "F32";
    };
  }

  /**
   * Bytes one decode step reads at {@code dt}: for float checkpoints every weight at its width; for
   * int8/int4 the package's compiled graph as the kit's side measured it ({@code
   * package_graph_bytes}: every quantized matrix with its scales, the LM head included), NaN when
   * unknown.
   */
  static double bytesPerToken(String dt, JsonNode kit) {
    return switch (dt) {
      case "fp32" -> RandomCheckpoint.weightBytesPerToken(4);
      case "bf16" -> RandomCheckpoint.weightBytesPerToken(2);
      default -> kit == null ? Double.NaN : kit.path("package_graph_bytes").asDouble(Double.NaN);
    };
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private Generation() {}

  /**
   * Adds the section to {@code out} and {@code detail}; returns the most CPU other processes used
   * during any one side's run.
   */
  static double report(Path dir, ObjectNode out, ObjectNode detail, ObjectNode defs)
      throws IOException {
    double maxForeign = 0;
    defs.put(
        "generation_decode_ratio_*",
        "maaskit / Jlama greedy decode tokens/s (first token to last, prefill excluded), same"
            + " checkpoint file, same weight precision (fp32 vs Jlama F32, int8 vs Q8, int4 vs Q4),"
            + " same threads, separate JVMs, same run: the median of per-round ratios of paired,"
            + " interleaved trials (both JVMs loaded, one decode each per round, alternating"
            + " order; detail.generation.<dtype>.paired_decode) where they ran, else the ratio of"
            + " the two sides' medians (generation_decode_ratio_unpaired_* when both exist):"
            + " higher is better");
    defs.put(
        "generation_roof_fraction_*",
        "maaskit decode tokens/s / (memory bandwidth measured in the same run, best of N, the"
            + " given threads / bytes of weights one decode step reads: every float weight, or"
            + " the int8/int4 package's model.onnx)");
    defs.put(
        "generation_roof_fraction_1b_int4",
        "the same for an int4 package of a random checkpoint with Llama-3.2-1B's shape, decode"
            + " only");
    defs.put(
        "generation_decode_ratio_1b_int4",
        "maaskit int4 / Jlama Q4 decode tokens/s on the Llama-3.2-1B-shaped checkpoint");
    defs.put(
        "generation_server_peak_rss_mb",
        "peak resident set (VmHWM) of the HTTP server process serving the int4 135M generator"
            + " through /v1/completions, after one request and 8 concurrent ones");
    defs.put(
        "generation_ttft_ratio_*",
        "maaskit / Jlama time from the prompt text to the first generated token for the"
            + " 256-token prompt (BOS + 255 text tokens), tokenization included: lower is better");
    defs.put(
        "generation_streams8_speedup",
        "maaskit aggregate tokens/s of 8 concurrent greedy requests through GenerationService"
            + " (the continuous-batching loop) / that of 1 request");
    ObjectNode g = detail.putObject("generation");
    JsonNode roof = read(dir.resolve("roof.json"));
    if (roof != null) {
      g.set("memory_roof", roof);
    }
    double gbps = roof == null ? Double.NaN : roof.path("gb_per_s_best").asDouble(Double.NaN);
    for (String dt : DTYPES) {
      JsonNode k = read(dir.resolve("maaskit-" + dt + ".json"));
      JsonNode j = read(dir.resolve("jlama-" + dt + ".json"));
      String kErr = error(dir.resolve("maaskit-" + dt + ".error"));
      String jErr = error(dir.resolve("jlama-" + dt + ".error"));
      if (k == null && j == null && kErr == null && jErr == null) {
        continue;
      }
      ObjectNode d = g.putObject(dt);
      double bytes = bytesPerToken(dt, k);
      double roofTps = gbps * 1e9 / bytes;
      d.put("weight_bytes_per_token", bytes);
      d.put("jlama_precision", peer(dt));
      d.put("roof_tokens_per_s", round(roofTps, 1));
      for (String side : new String[] {"maaskit", "jlama"}) {
        JsonNode c = read(dir.resolve(side + "-" + dt + ".contention.json"));
        JsonNode n = side.equals("maaskit") ? k : j;
        if (c != null && n instanceof ObjectNode o) {
          o.put("foreign_cores", c.path("foreign_cores").asDouble());
          o.put("waited_for_quiet_ms", c.path("waited_for_quiet_ms").asLong());
          maxForeign = Math.max(maxForeign, c.path("foreign_cores").asDouble());
        }
      }
      profile(dir.resolve("profile-" + dt + ".json"), d);
      if (k != null) {
        d.set("maaskit", k);
      } else if (kErr != null) {
        d.put("maaskit_error", kErr);
      }
      if (j != null) {
        d.set("jlama", j);
      } else if (jErr != null) {
        d.put("jlama_error", jErr);
      }
      double kd = num(k, "decode", "tokens_per_s_median");
      double jd = num(j, "decode", "tokens_per_s_median");
      double kt = num(k, "ttft", "ms_median");
      double jt = num(j, "ttft", "ms_median");
      // Paired, interleaved trials (GenerationPairs), when they ran, are the headline ratio: the
      // medians above come from the two sides' runs at different times.
      JsonNode pairs = read(dir.resolve("pairs-" + dt + ".json"));
      if (pairs != null) {
        d.set("paired_decode", pairs);
        out.put("generation_decode_ratio_unpaired_" + dt, round(kd / jd, 3));
        out.put("generation_decode_ratio_" + dt, round(pairs.path("median_ratio").asDouble(), 3));
      } else {
        out.put("generation_decode_ratio_" + dt, round(kd / jd, 3));
      }
      out.put("generation_roof_fraction_" + dt, round(kd / roofTps, 3));
      out.put("generation_roof_fraction_jlama_" + dt, round(jd / roofTps, 3));
      out.put("generation_ttft_ratio_" + dt, round(kt / jt, 3));
      if (k != null && j != null) {
        d.put(
            "greedy_text_equal",
            k.path("decode")
                .path("text")
                .asText()
                .strip()
                .equals(j.path("decode").path("text").asText().strip()));
        d.put(
            "prompts_tokenize_as_expected",
            k.path("decode_prompt_tokenizes_as_expected").asBoolean()
                && k.path("ttft_prompt_tokenizes_as_expected").asBoolean()
                && j.path("decode_prompt_tokenizes_as_expected").asBoolean()
                && j.path("ttft_prompt_tokenizes_as_expected").asBoolean());
      }
      double s1 = num(k, "streams", "1_tokens_per_s");
      double s8 = num(k, "streams", "8_tokens_per_s");
      if (!out.has("generation_streams8_speedup") && !Double.isNaN(s8)) {
        out.put("generation_streams8_speedup", round(s8 / s1, 3));
        out.put("generation_streams_dtype", dt);
      }
    }
    JsonNode big = read(dir.resolve("maaskit-1b-int4.json"));
    String bigErr = error(dir.resolve("maaskit-1b-int4.error"));
    JsonNode bigPeer = read(dir.resolve("jlama-1b-int4.json"));
    String bigPeerErr = error(dir.resolve("jlama-1b-int4.error"));
    if (big != null || bigErr != null) {
      ObjectNode b = g.putObject("llama_1b_int4");
      if (big != null) {
        b.set("maaskit", big);
        double bytes = big.path("package_graph_bytes").asDouble(Double.NaN);
        double roofTps = gbps * 1e9 / bytes;
        b.put("weight_bytes_per_token", bytes);
        b.put("roof_tokens_per_s", round(roofTps, 2));
        out.put(
            "generation_roof_fraction_1b_int4",
            round(num(big, "decode", "tokens_per_s_median") / roofTps, 3));
      } else {
        b.put("maaskit_error", bigErr);
      }
      profile(dir.resolve("profile-1b-int4.json"), b);
      if (bigPeer != null) {
        b.set("jlama", bigPeer);
        out.put(
            "generation_decode_ratio_1b_int4",
            round(
                num(big, "decode", "tokens_per_s_median")
                    / num(bigPeer, "decode", "tokens_per_s_median"),
                3));
      } else if (bigPeerErr != null) {
        b.put("jlama_error", bigPeerErr);
      }
    }
    JsonNode rss = read(dir.resolve("server-rss.json"));
    if (rss != null) {
      g.set("server_rss", rss);
      out.put("generation_server_peak_rss_mb", rss.path("peak_rss_mb").asDouble());
    }
    return maxForeign;
  }

  /**
   * {@code GenerationBench --profile-dir}'s summary in {@code f}, if any, as {@code ort_profile}.
   */
  private static void profile(Path f, ObjectNode into) throws IOException {
    JsonNode prof = read(f);
    if (prof != null && prof.has("ort_profile")) {
      ObjectNode op = into.putObject("ort_profile");
      op.put("tokens_per_s_under_profiler", prof.path("tokens_per_s_under_profiler").asDouble());
      op.setAll((ObjectNode) prof.path("ort_profile"));
    }
  }

  static String table(JsonNode r) {
    JsonNode g = r.path("detail").path("generation");
    double gbps = g.path("memory_roof").path("gb_per_s_best").asDouble(Double.NaN);
    String jlamaVersion = "0.8.4";
    StringBuilder sb = new StringBuilder();
    sb.append("| Figure | maaskit | Jlama | maaskit / Jlama | target |\n");
    sb.append("|---|---:|---:|---:|---|\n");
    String threads = "?";
    String engine = "?";
    for (String dt : DTYPES) {
      JsonNode d = g.path(dt);
      if (d.isMissingNode()) {
        continue;
      }
      JsonNode k = d.path("maaskit");
      JsonNode j = d.path("jlama");
      jlamaVersion = j.path("version").asText(jlamaVersion);
      threads = k.path("threads").asText(j.path("threads").asText(threads));
      engine = k.path("engine").asText(engine);
      double kd = k.path("decode").path("tokens_per_s_median").asDouble(Double.NaN);
      double jd = j.path("decode").path("tokens_per_s_median").asDouble(Double.NaN);
      double roofTps = d.path("roof_tokens_per_s").asDouble(Double.NaN);
      JsonNode pairs = d.path("paired_decode");
      sb.append(
          String.format(
              Locale.ROOT,
              "| Decode tokens/s, %s weights (%d-token prompt, %d new tokens, greedy, median of %d)"
                  + " | %s | %s (%s) | %s | ≥ %.1f |%n",
              dt,
              k.path("decode")
                  .path("prompt_tokens")
                  .asInt(j.path("decode").path("prompt_tokens").asInt()),
              k.path("decode")
                  .path("new_tokens")
                  .asInt(j.path("decode").path("new_tokens").asInt()),
              Math.max(
                  k.path("decode").path("tokens_per_s").size(),
                  j.path("decode").path("tokens_per_s").size()),
              num(kd, "%.1f"),
              num(jd, "%.1f"),
              peer(dt),
              // the paired row below carries the headline ratio when the trials ran
              pairs.isMissingNode() ? bold(kd / jd) : num(kd / jd, "%.2f") + " (unpaired)",
              DECODE_TARGET));
      sb.append(
          String.format(
              Locale.ROOT,
              "| Share of the memory-bandwidth roof, %s (%.1f GB/s ÷ %.0f MB read per token = %.1f"
                  + " tokens/s) | %s | %s | | %s |%n",
              dt,
              gbps,
              d.path("weight_bytes_per_token").asDouble() / 1e6,
              roofTps,
              num(kd / roofTps, "%.2f"),
              num(jd / roofTps, "%.2f"),
              dt.equals("int4") ? "maaskit ≥ " + ROOF_TARGET_INT4 : "—"));
      if (!pairs.isMissingNode()) {
        sb.append(
            String.format(
                Locale.ROOT,
                "| Decode tokens/s, %s, paired trials (%d rounds, one decode per side per round,"
                    + " alternating; ratio: median of the per-round ratios, quartiles %.2f–%.2f,"
                    + " range %.2f–%.2f) | %s | %s (%s) | %s | ≥ %.1f |%n",
                dt,
                pairs.path("rounds").asInt(),
                pairs.path("q1_ratio").asDouble(),
                pairs.path("q3_ratio").asDouble(),
                pairs.path("min_ratio").asDouble(),
                pairs.path("max_ratio").asDouble(),
                num(pairs.path("median_a").asDouble(Double.NaN), "%.1f"),
                num(pairs.path("median_b").asDouble(Double.NaN), "%.1f"),
                peer(dt),
                bold(pairs.path("median_ratio").asDouble(Double.NaN)),
                DECODE_TARGET));
      }
      double kt = k.path("ttft").path("ms_median").asDouble(Double.NaN);
      double jt = j.path("ttft").path("ms_median").asDouble(Double.NaN);
      sb.append(
          String.format(
              Locale.ROOT,
              "| Time to first token, %d-token prompt, %s, ms (median) | %s | %s | %s | ≤ "
                  + TTFT_TARGET
                  + " |%n",
              k.path("ttft")
                  .path("prompt_tokens")
                  .asInt(j.path("ttft").path("prompt_tokens").asInt()),
              dt,
              num(kt, "%.0f"),
              num(jt, "%.0f"),
              bold(kt / jt)));
      JsonNode st = k.path("streams");
      if (!st.isMissingNode()) {
        double s1 = st.path("1_tokens_per_s").asDouble(Double.NaN);
        double s8 = st.path("8_tokens_per_s").asDouble(Double.NaN);
        sb.append(
            String.format(
                Locale.ROOT,
                "| Aggregate tokens/s through GenerationService, 8 streams (1 stream), %s | %s (%s) ="
                    + " **%s×** | — | | ≥ "
                    + STREAMS_TARGET
                    + "× |%n",
                dt,
                num(s8, "%.1f"),
                num(s1, "%.1f"),
                num(s8 / s1, "%.2f")));
      }
      if (d.has("maaskit_error")) {
        sb.append("| maaskit did not run (")
            .append(dt)
            .append(") | ")
            .append(d.path("maaskit_error").asText().replace('|', '/').replace('\n', ' '))
            .append(" | | | |\n");
      }
      if (d.has("jlama_error")) {
        sb.append("| Jlama did not run (")
            .append(dt)
            .append(") | | ")
            .append(d.path("jlama_error").asText().replace('|', '/').replace('\n', ' '))
            .append(" | | |\n");
      }
    }
    JsonNode big = g.path("llama_1b_int4");
    if (!big.isMissingNode()) {
      double tps =
          big.path("maaskit").path("decode").path("tokens_per_s_median").asDouble(Double.NaN);
      double roofTps = big.path("roof_tokens_per_s").asDouble(Double.NaN);
      double peer =
          big.path("jlama").path("decode").path("tokens_per_s_median").asDouble(Double.NaN);
      sb.append(
          String.format(
              Locale.ROOT,
              "| Llama-3.2-1B-shaped int4: decode tokens/s (share of the roof, %.0f MB per token) |"
                  + " %s (%s) | %s (Q4, %s) | %s | ≥ %s of the roof |%n",
              big.path("weight_bytes_per_token").asDouble() / 1e6,
              num(tps, "%.1f"),
              num(tps / roofTps, "%.2f"),
              num(peer, "%.1f"),
              num(peer / roofTps, "%.2f"),
              bold(tps / peer),
              ROOF_TARGET_1B_INT4));
      for (String side : new String[] {"maaskit", "jlama"}) {
        if (big.has(side + "_error")) {
          sb.append("| ")
              .append(side.equals("maaskit") ? "maaskit" : "Jlama")
              .append(" did not run (1B int4) | ")
              .append(big.path(side + "_error").asText().replace('|', '/').replace('\n', ' '))
              .append(" | | | |\n");
        }
      }
    }
    JsonNode rss = g.path("server_rss");
    if (!rss.isMissingNode()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "| Peak RSS of the HTTP server serving the int4 135M generator, MB | %s | | | |%n",
              num(rss.path("peak_rss_mb").asDouble(Double.NaN), "%.0f")));
    }
    sb.append('\n');
    sb.append(Report.targetLine(r, true)).append("\n\n");
    if (r.path("settings").path("quick").asBoolean(false)) {
      sb.append(Report.QUICK_NOTE);
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "_Random checkpoint with SmolLM2-135M's shape (LlamaForCausalLM, hidden 576, 30 layers,"
                + " 9/3 heads, vocab 49152, tied embeddings), one safetensors file read by both sides;"
                + " %s threads per side, separate JVMs, sequential; maaskit on %s (%s), Jlama %s"
                + " (pure Java, Vector API, Java %s). Memory roof: %s. Streams: %s. Measured %s._%n",
            threads,
            engine,
            firstText(g, "maaskit", "java"),
            jlamaVersion,
            firstText(g, "jlama", "java"),
            g.path("memory_roof").path("kernel").asText("—"),
            firstStreamsPath(g),
            r.path("timestamp").asText()));
    for (String dt : DTYPES) {
      JsonNode p = g.path(dt).path("ort_profile");
      if (!p.isMissingNode()) {
        sb.append('\n').append(OrtProfile.table(p, dt));
      }
    }
    JsonNode p1b = g.path("llama_1b_int4").path("ort_profile");
    if (!p1b.isMissingNode()) {
      sb.append('\n').append(OrtProfile.table(p1b, "Llama-3.2-1B-shaped int4"));
    }
    return sb.toString();
  }

  private static String firstText(JsonNode g, String side, String key) {
    for (String dt : DTYPES) {
      JsonNode v = g.path(dt).path(side).path(key);
      if (!v.isMissingNode()) {
        return v.asText();
      }
    }
    return "—";
  }

  private static String firstStreamsPath(JsonNode g) {
    for (String dt : DTYPES) {
      JsonNode v = g.path(dt).path("maaskit").path("streams").path("path");
      if (!v.isMissingNode()) {
        return v.asText();
      }
    }
    return "—";
  }

  private static JsonNode read(Path f) throws IOException {
    return Files.exists(f) ? JSON.readTree(f.toFile()) : null;
  }

  private static String error(Path f) throws IOException {
    if (!Files.exists(f)) {
      return null;
    }
    String s = Files.readString(f).strip();
    return s.length() > 300 ? s.substring(0, 300) + "…" : s;
  }

  private static double num(JsonNode n, String a, String b) {
    return n == null ? Double.NaN : n.path(a).path(b).asDouble(Double.NaN);
  }

  private static String num(double v, String fmt) {
    return Double.isNaN(v) || Double.isInfinite(v) ? "—" : String.format(Locale.ROOT, fmt, v);
  }

  private static String bold(double v) {
    return Double.isNaN(v) || Double.isInfinite(v)
        ? "—"
        : String.format(Locale.ROOT, "**%.2f**", v);
  }

  static double round(double v, int places) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return v;
    }
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }
}
