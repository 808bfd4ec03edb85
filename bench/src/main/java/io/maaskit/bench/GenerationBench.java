package io.maaskit.bench;

import static io.maaskit.bench.Generation.round;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.EngineChoice;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.GenerateRequest;
import io.maaskit.model.task.GenerationListener;
import io.maaskit.model.task.GenerationOptions;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.SamplingParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The generation benchmark's kit side, in its own JVM: loads the benchmark checkpoint's package
 * (imported from the same safetensors Jlama reads) through the registry as the server does, with
 * {@code --threads} engine threads, and measures, greedy: decode tokens/s after a short prompt,
 * time to first token for the 256-token prompt, and aggregate tokens/s of 1 and 8 concurrent
 * streams. Writes the JSON shape the peer side ({@code JlamaGeneration}) writes, plus {@code
 * streams}.
 *
 * <p>Streams are concurrent greedy requests through {@link GenerationService}, the server's own
 * continuous-batching decode loop (prefills riding in the steps of other sequences' decode): the
 * aggregate is completion tokens over the wall time from the first request to the last answer.
 *
 * <p>With {@code --serve true} it is one side of {@link GenerationPairs}: after a warm-up it
 * answers each {@code decode} line on stdin with one decode's tokens/s on stdout, until stdin
 * closes.
 *
 * <p>With {@code --profile-dir DIR} it only decodes a few tokens with ONNX Runtime's per-op
 * profiling on ({@link EngineOptions#profileDir()}), leaves the session's JSON trace in DIR and
 * writes its summary per op ({@link OrtProfile}) as {@code ort_profile}, for the "where the time
 * goes" section of docs/performance.md.
 *
 * <pre>
 * GenerationBench --store bench/work/store --model smollm2-135m-random-fp32 \
 *     --prompts bench/work/cache/smollm2-135m-random-fp32/bench-prompts.json --threads 2 \
 *     --new-tokens 128 --reps 5 --out bench/work/generation/maaskit-fp32.json
 * </pre>
 */
public final class GenerationBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final TextGenerator generator;
  private final int bos;

  private GenerationBench(TextGenerator generator, int bos) {
    this.generator = generator;
    this.bos = bos;
  }

  public static void main(String[] args) throws Exception {
    Path store = null;
    String model = null;
    Path prompts = null;
    Path out = null;
    String engine = "auto";
    int threads = Subject.threads();
    int newTokens = 128;
    int reps = 5;
    List<Integer> streams = List.of(1, 8);
    boolean ttft = true;
    Path profileDir = null;
    boolean serve = false;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--store" -> store = Path.of(v);
        case "--model" -> model = v;
        case "--prompts" -> prompts = Path.of(v);
        case "--out" -> out = Path.of(v);
        case "--engine" -> engine = v;
        case "--threads" -> threads = Integer.parseInt(v);
        case "--new-tokens" -> newTokens = Integer.parseInt(v);
        case "--reps" -> reps = Integer.parseInt(v);
        case "--streams" ->
            streams =
                v.equals("none")
                    ? List.of()
                    : Arrays.stream(v.split(",")).map(Integer::valueOf).toList();
        case "--ttft" -> ttft = Boolean.parseBoolean(v);
        case "--profile-dir" -> profileDir = Path.of(v);
        case "--serve" -> serve = Boolean.parseBoolean(v);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (store == null || model == null || prompts == null || (out == null && !serve)) {
      throw new IllegalArgumentException("need --store, --model, --prompts and --out");
    }
    JsonNode p = JSON.readTree(prompts.toFile());
    Path cacheDir = Files.createTempDirectory("maas-bench-gen-cache-");
    EngineOptions engineOptions = new EngineOptions(engine, "cpu", threads, true);
    EngineChoice engines =
        EngineChoice.start(
            profileDir == null ? engineOptions : engineOptions.withProfileDir(profileDir));
    LocalModelStore local = new LocalModelStore(store);
    long t0 = System.nanoTime();
    ObjectNode r;
    try (ModelRegistry registry =
        new ModelRegistry(
            local,
            new PackageLoader(local, new PackageCache(cacheDir, 0), LoadMode.CACHE, engines),
            RegistryOptions.defaults())) {
      TextGenerator g =
          registry.get(ModelId.parse(model), Capability.GENERATOR, TextGenerator.class);
      double loadMs = (System.nanoTime() - t0) / 1e6;
      int bos =
          g.generationConfig().bosTokenId().orElse(p.path("ttft").path("bos_token_id").asInt());
      GenerationBench bench = new GenerationBench(g, bos);
      if (serve) {
        String text = p.path("decode").path("text").asText();
        int n = newTokens;
        bench.decode(text, Math.min(32, n), null); // warm-up
        GenerationPairs.serve(() -> bench.decode(text, n, null));
        return;
      }
      r =
          profileDir != null
              ? bench.profile(p, newTokens)
              : bench.run(p, threads, newTokens, reps, ttft, streams, registry, model);
      r.put("load_ms", Math.round(loadMs));
      r.put("engine", g.engine() == null ? engine : g.engine().name());
      r.put("weights_dtype", g.manifest().dtype());
      r.put("weight_bytes_held", g.weightBytes());
      r.put("package", g.manifest().id().toString());
      // What one decode step reads from an int8/int4 package: its graph (weights, scales, head).
      var graph = g.manifest().file("model.onnx");
      if (graph != null) {
        r.put("package_graph_bytes", graph.size());
      }
    } finally {
      ColdStart.deleteRecursively(cacheDir);
    }
    if (profileDir != null) {
      // ORT writes the trace when the session closes, i.e. with the registry above.
      ModelId id = ModelId.parse(r.path("package").asText());
      r.set(
          "ort_profile",
          OrtProfile.summarize(
              OrtProfile.newestTrace(profileDir),
              PROFILE_WARMUP_RUNS,
              OrtProfile.Widths.of(JSON.readTree(local.dir(id).resolve("config.json").toFile())),
              weightBits(r.path("weights_dtype").asText())));
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), r);
  }

  /** Session runs of {@link #profile}'s warm-up: its prefill and 4 decode steps. */
  private static final int PROFILE_WARMUP_RUNS = 5;

  private static int weightBits(String dtype) {
    return switch (dtype) {
      case "int4" -> 4;
      case "int8" -> 8;
      case "bf16", "fp16" -> 16;
      default -> 32;
    };
  }

  /**
   * A short greedy decode under ORT's profiler; the trace is written when the session closes and
   * summarized by {@link OrtProfile} without the warm-up's {@link #PROFILE_WARMUP_RUNS} runs.
   */
  private ObjectNode profile(JsonNode p, int newTokens) {
    String text = p.path("decode").path("text").asText();
    decode(text, PROFILE_WARMUP_RUNS - 1, null); // warm-up: ORT profiles every run of the session
    ObjectNode r = JSON.createObjectNode();
    r.put("side", "maaskit");
    r.put("profiled_new_tokens", newTokens);
    double tps = decode(text, newTokens, null);
    r.put("tokens_per_s_under_profiler", round(tps, 2));
    r.put("step_ms_under_profiler", round(1e3 / tps, 3));
    return r;
  }

  private ObjectNode run(
      JsonNode p,
      int threads,
      int newTokens,
      int reps,
      boolean withTtft,
      List<Integer> streams,
      ModelRegistry registry,
      String model) {
    ObjectNode r = JSON.createObjectNode();
    r.put("side", "maaskit");
    r.put("threads", threads);
    r.put("java", System.getProperty("java.runtime.version"));
    for (String k : List.of("decode", "ttft")) {
      int[] ids = generator.tokenizer().encode(p.path(k).path("text").asText(), false);
      int[] expected = JSON.convertValue(p.path(k).path("ids"), int[].class);
      r.put(k + "_prompt_tokenizes_as_expected", Arrays.equals(ids, expected));
    }
    String decodeText = p.path("decode").path("text").asText();
    String ttftText = p.path("ttft").path("text").asText();

    decode(decodeText, Math.min(32, newTokens), null); // warm-up
    if (withTtft) {
      ttft(ttftText);
    }

    ObjectNode d = r.putObject("decode");
    d.put("prompt_tokens", prompt(decodeText).length);
    d.put("new_tokens", newTokens);
    ArrayNode rates = d.putArray("tokens_per_s");
    List<Double> rs = new ArrayList<>();
    List<Integer> text = new ArrayList<>();
    for (int i = 0; i < reps; i++) {
      text.clear();
      double x = decode(decodeText, newTokens, text);
      rs.add(x);
      rates.add(round(x, 2));
      System.err.printf("[generation] maaskit decode #%d: %.2f tokens/s%n", i, x);
    }
    d.put("generated_tokens", newTokens);
    d.put("tokens_per_s_median", round(median(rs), 2));
    d.put(
        "text",
        generator.tokenizer().decode(text.stream().mapToInt(Integer::intValue).toArray(), true));

    if (withTtft) {
      ObjectNode t = r.putObject("ttft");
      t.put("prompt_tokens", prompt(ttftText).length);
      ArrayNode ms = t.putArray("ms");
      List<Double> ts = new ArrayList<>();
      for (int i = 0; i < reps; i++) {
        double x = ttft(ttftText);
        ts.add(x);
        ms.add(round(x, 1));
        System.err.printf("[generation] maaskit ttft #%d: %.1f ms%n", i, x);
      }
      t.put("ms_median", round(median(ts), 1));
    }
    if (streams.isEmpty()) {
      return r;
    }
    ObjectNode s = r.putObject("streams");
    s.put(
        "path",
        "GenerationService (the continuous-batching decode loop), n concurrent greedy requests");
    s.put("new_tokens_per_stream", newTokens);
    int most = streams.stream().mapToInt(Integer::intValue).max().orElse(1);
    try (GenerationService service =
        new GenerationService(registry, model, new GenerationOptions(most, most, 1, newTokens))) {
      service.generate(
          GenerateRequest.completion(model, decodeText, SamplingParams.greedy(8)),
          Cancellation.NONE); // warm-up of the loop
      for (int n : streams) {
        List<Double> agg = new ArrayList<>();
        for (int i = 0; i < Math.max(1, reps / 2); i++) {
          agg.add(serviceStreams(service, model, decodeText, n, newTokens, s));
        }
        s.put(n + "_tokens_per_s", round(median(agg), 2));
        System.err.printf(
            "[generation] maaskit %d stream(s): %.2f tokens/s aggregate%n", n, median(agg));
      }
    }
    return r;
  }

  /** BOS, then the text's ids: what both sides feed the model. */
  private int[] prompt(String text) {
    int[] ids = generator.tokenizer().encode(text, false);
    int[] out = new int[ids.length + 1];
    out[0] = bos;
    System.arraycopy(ids, 0, out, 1, ids.length);
    return out;
  }

  /**
   * Greedy: the first token from the prefill, then {@code newTokens} single-token steps; tokens/s
   * of those steps (first token to last, the prefill excluded, as on the peer side).
   */
  private double decode(String text, int newTokens, List<Integer> generated) {
    try (TextGenerator.KvCache cache = generator.newCache()) {
      int next = argmax(generator.forward(List.of(cache), List.of(prompt(text)))[0]);
      long t1 = System.nanoTime();
      for (int i = 0; i < newTokens; i++) {
        if (generated != null) {
          generated.add(next);
        }
        next = argmax(generator.forward(List.of(cache), List.of(new int[] {next}))[0]);
      }
      if (generated != null) {
        generated.add(next);
      }
      return newTokens / ((System.nanoTime() - t1) / 1e9);
    }
  }

  /** Milliseconds from the prompt text to the first generated token, tokenization included. */
  private double ttft(String text) {
    long t0 = System.nanoTime();
    try (TextGenerator.KvCache cache = generator.newCache()) {
      int first = argmax(generator.forward(List.of(cache), List.of(prompt(text)))[0]);
      double ms = (System.nanoTime() - t0) / 1e6;
      if (first < 0) {
        throw new IllegalStateException("no token");
      }
      return ms;
    }
  }

  /**
   * Aggregate tokens/s of {@code n} concurrent greedy requests through the service: completion
   * tokens of all of them over the wall time from the first submission to the last answer (their
   * prefills included, as a server sees them).
   */
  private static double serviceStreams(
      GenerationService service, String model, String text, int n, int newTokens, ObjectNode s) {
    long t0 = System.nanoTime();
    List<GenerationService.Started> started = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      started.add(
          service.start(
              GenerateRequest.completion(model, text, SamplingParams.greedy(newTokens)),
              Cancellation.NONE,
              GenerationListener.NONE));
    }
    long tokens = 0;
    for (GenerationService.Started st : started) {
      tokens += st.await().completionTokens();
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    s.put(n + "_completion_tokens", tokens);
    return tokens / secs;
  }

  static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }

  static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(Double::compare);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
