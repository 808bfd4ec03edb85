package io.maaskit.bench;

import static io.maaskit.bench.Generation.round;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where a decode step's time goes, from ONNX Runtime's JSON profile ({@code
 * SessionOptions.enableProfiling}: one {@code model_run} event per session run, one {@code
 * <node>_kernel_time} event per node executed in it). Only decode steps count: runs whose linears
 * see one token row, after the first {@code skipRuns} runs (the warm-up); prefills are left out.
 *
 * <p>Per op type and, for the linears ({@code MatMulNBits}, {@code MatMul}, {@code Gemm}), per role
 * in the decoder (qkv, o, gate_up, down, lm_head; told apart by their in/out widths against the
 * checkpoint's {@code config.json}): milliseconds per step and share of the step's {@code
 * model_run} time; the linears also with the weight bytes they stream and the GB/s that makes.
 */
final class OrtProfile {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KERNEL = "_kernel_time";

  /** The ops a compiled decoder's linears are: quantized, float, and the float LM head. */
  private static final Set<String> LINEARS = Set.of("MatMulNBits", "MatMul", "Gemm");

  /** A decoder's linear widths, from its {@code config.json}. */
  record Widths(int hidden, int intermediate, int qDim, int kvDim, int vocab) {
    static Widths of(JsonNode config) {
      int hidden = config.path("hidden_size").asInt();
      int heads = config.path("num_attention_heads").asInt(1);
      int headDim = config.path("head_dim").asInt(hidden / heads);
      return new Widths(
          hidden,
          config.path("intermediate_size").asInt(),
          heads * headDim,
          config.path("num_key_value_heads").asInt(heads) * headDim,
          config.path("vocab_size").asInt());
    }

    /** The role of a linear reading {@code k} features and writing {@code n}. */
    String role(String node, long k, long n) {
      if (node.startsWith("head/") || n == vocab) {
        return "lm_head";
      }
      if (k == hidden && n == qDim + 2L * kvDim) {
        return "qkv";
      }
      if (k == qDim && n == hidden) {
        return "o";
      }
      if (k == hidden && n == 2L * intermediate) {
        return "gate_up";
      }
      if (k == intermediate && n == hidden) {
        return "down";
      }
      return "other " + k + "x" + n;
    }
  }

  private OrtProfile() {}

  /** The newest JSON trace ORT wrote into {@code dir}. */
  static Path newestTrace(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".json"))
          .max(Comparator.comparing(p -> p.toFile().lastModified()))
          .orElseThrow(() -> new IOException("ONNX Runtime wrote no profile into " + dir));
    }
  }

  /**
   * Summarizes {@code trace}.
   *
   * @param weightBits bits per weight of the package's linears (32, 8 or 4) where the trace does
   *     not show them (ORT pre-packs MatMulNBits weights; an unpacked {@code uint8 [N, blocks,
   *     blob]} input tells its own)
   */
  static ObjectNode summarize(Path trace, int skipRuns, Widths widths, int weightBits)
      throws IOException {
    List<JsonNode> runs = new ArrayList<>();
    List<JsonNode> nodes = new ArrayList<>();
    for (JsonNode e : JSON.readTree(trace.toFile())) {
      if (e.path("cat").asText().equals("Session") && e.path("name").asText().equals("model_run")) {
        runs.add(e);
      } else if (e.path("cat").asText().equals("Node")
          && e.path("name").asText().endsWith(KERNEL)) {
        nodes.add(e);
      }
    }
    runs.sort(Comparator.comparingLong(e -> e.path("ts").asLong()));
    nodes.sort(Comparator.comparingLong(e -> e.path("ts").asLong()));
    Map<String, double[]> byOp = new LinkedHashMap<>(); // op -> {us, nodes}
    Map<String, double[]> byRole = new LinkedHashMap<>(); // role -> {us, nodes, weight bytes}
    double runUs = 0;
    double kernelUs = 0;
    int steps = 0;
    int prefills = 0;
    int next = 0;
    for (int r = 0; r < runs.size(); r++) {
      long start = runs.get(r).path("ts").asLong();
      long end = start + runs.get(r).path("dur").asLong();
      List<JsonNode> in = new ArrayList<>();
      while (next < nodes.size() && nodes.get(next).path("ts").asLong() < start) {
        next++;
      }
      while (next < nodes.size() && nodes.get(next).path("ts").asLong() <= end) {
        in.add(nodes.get(next++));
      }
      if (r < skipRuns) {
        continue;
      }
      if (tokenRows(in) != 1) {
        prefills++;
        continue;
      }
      steps++;
      runUs += runs.get(r).path("dur").asLong();
      for (JsonNode n : in) {
        double us = n.path("dur").asLong();
        String op = n.path("args").path("op_name").asText();
        kernelUs += us;
        add(byOp, op, us, 0);
        if (LINEARS.contains(op)) {
          String name = n.path("name").asText();
          long k = last(n.path("args").path("input_type_shape").path(0));
          long out = last(n.path("args").path("output_type_shape").path(0));
          add(
              byRole,
              op + " " + widths.role(name, k, out),
              us,
              k * out * bits(n, k, weightBits) / 8.0);
        }
      }
    }
    ObjectNode s = JSON.createObjectNode();
    s.put("trace", trace.getFileName().toString());
    s.put("decode_steps", steps);
    s.put("warmup_runs_excluded", Math.min(skipRuns, runs.size()));
    s.put("prefill_runs_excluded", prefills);
    if (steps == 0) {
      return s;
    }
    double stepUs = runUs / steps;
    s.put("step_ms", round(stepUs / 1e3, 3));
    s.put("kernels_ms_per_step", round(kernelUs / steps / 1e3, 3));
    s.put("outside_kernels_ms_per_step", round((runUs - kernelUs) / steps / 1e3, 3));
    ArrayNode ops = s.putArray("ops");
    for (Map.Entry<String, double[]> e : sorted(byOp)) {
      ObjectNode o = ops.addObject();
      o.put("op", e.getKey());
      put(o, e.getValue(), steps, stepUs);
    }
    ArrayNode linears = s.putArray("linears");
    for (Map.Entry<String, double[]> e : sorted(byRole)) {
      ObjectNode o = linears.addObject();
      o.put("linear", e.getKey());
      put(o, e.getValue(), steps, stepUs);
      o.put("weight_mb_per_step", round(e.getValue()[2] / steps / 1e6, 2));
      o.put("weight_gb_per_s", round(e.getValue()[2] / (e.getValue()[0] * 1e3), 2));
    }
    return s;
  }

  /** A Markdown table of {@link #summarize}'s result; empty without decode steps. */
  static String table(JsonNode p, String precision) {
    if (p.path("decode_steps").asInt() == 0) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "**ONNX Runtime per-op profile of a decode step, %s**: %d steps (prefill and %d"
                + " warm-up runs left out; %.1f tokens/s under the profiler), %.2f ms per step in"
                + " `model_run`, of which %.2f ms in kernels and %.2f ms between them.%n%n",
            precision,
            p.path("decode_steps").asInt(),
            p.path("warmup_runs_excluded").asInt(),
            p.path("tokens_per_s_under_profiler").asDouble(Double.NaN),
            p.path("step_ms").asDouble(),
            p.path("kernels_ms_per_step").asDouble(),
            p.path("outside_kernels_ms_per_step").asDouble()));
    sb.append("| Op (linears by role) | nodes per step | ms per step | share of the step |")
        .append(" weights MB per step | weights GB/s |\n");
    sb.append("|---|---:|---:|---:|---:|---:|\n");
    for (JsonNode o : p.path("ops")) {
      row(sb, o.path("op").asText(), o, "", "");
      if (LINEARS.contains(o.path("op").asText())) {
        for (JsonNode l : p.path("linears")) {
          if (l.path("linear").asText().startsWith(o.path("op").asText() + " ")) {
            row(
                sb,
                "  ↳ " + l.path("linear").asText(),
                l,
                String.format(Locale.ROOT, "%.1f", l.path("weight_mb_per_step").asDouble()),
                String.format(Locale.ROOT, "%.1f", l.path("weight_gb_per_s").asDouble()));
          }
        }
      }
    }
    return sb.toString();
  }

  private static void row(StringBuilder sb, String name, JsonNode o, String mb, String gbps) {
    sb.append(
        String.format(
            Locale.ROOT,
            "| %s | %.0f | %.3f | %.1f %% | %s | %s |%n",
            name,
            o.path("nodes_per_step").asDouble(),
            o.path("ms_per_step").asDouble(),
            100 * o.path("share").asDouble(),
            mb,
            gbps));
  }

  private static void put(ObjectNode o, double[] v, int steps, double stepUs) {
    o.put("nodes_per_step", round(v[1] / steps, 2));
    o.put("ms_per_step", round(v[0] / steps / 1e3, 4));
    o.put("share", round(v[0] / steps / stepUs, 4));
  }

  private static List<Map.Entry<String, double[]>> sorted(Map<String, double[]> m) {
    List<Map.Entry<String, double[]>> l = new ArrayList<>(m.entrySet());
    l.sort(Comparator.comparingDouble((Map.Entry<String, double[]> e) -> -e.getValue()[0]));
    return l;
  }

  private static void add(Map<String, double[]> m, String key, double us, double bytes) {
    double[] v = m.computeIfAbsent(key, x -> new double[3]);
    v[0] += us;
    v[1] += 1;
    v[2] += bytes;
  }

  /**
   * Token rows the run's first linear sees (every dimension of its input but the last): 1 in a
   * decode step of one sequence.
   */
  private static long tokenRows(List<JsonNode> nodes) {
    for (JsonNode n : nodes) {
      String op = n.path("args").path("op_name").asText();
      if (LINEARS.contains(op)) {
        long rows = 1;
        JsonNode dims = first(n.path("args").path("input_type_shape").path(0));
        for (int i = 0; i + 1 < dims.size(); i++) {
          rows *= dims.path(i).asLong();
        }
        return rows;
      }
    }
    return -1;
  }

  /** Bits per weight: from an unpacked {@code uint8 [N, blocks, blob]} weight input, else given. */
  private static double bits(JsonNode node, long k, int given) {
    JsonNode b = node.path("args").path("input_type_shape").path(1).path("uint8");
    if (b.size() == 3 && k > 0) {
      return b.path(1).asDouble() * b.path(2).asDouble() * 8 / k;
    }
    return given;
  }

  /** The shape of a {@code {"float": [dims]}} entry. */
  private static JsonNode first(JsonNode typeShape) {
    return typeShape.elements().hasNext() ? typeShape.elements().next() : JSON.createArrayNode();
  }

  private static long last(JsonNode typeShape) {
    JsonNode dims = first(typeShape);
    return dims.size() == 0 ? 0 : dims.path(dims.size() - 1).asLong();
  }
}
