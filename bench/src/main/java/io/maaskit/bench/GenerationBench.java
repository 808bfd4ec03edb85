package io.maaskit.bench;

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
import io.maaskit.model.registry.PackageLoader;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.PackageCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The generation benchmark's kit side, in its own JVM: loads the benchmark checkpoint's package
 * (imported from the same safetensors Jlama reads) through the registry as the server does, with
 * {@code --threads} engine threads, and measures, greedy: decode tokens/s after a short prompt,
 * time to first token for the 256-token prompt, and aggregate decode tokens/s of 1 and 8 concurrent
 * streams. Writes the JSON shape the peer side ({@code JlamaGeneration}) writes, plus {@code
 * streams}.
 *
 * <p>Streams run as one batched {@link TextGenerator#forward} step per token over all streams'
 * caches (the batching a continuous-batching loop does when every stream is decoding).
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
        case "--streams" -> streams = Arrays.stream(v.split(",")).map(Integer::valueOf).toList();
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (store == null || model == null || prompts == null || out == null) {
      throw new IllegalArgumentException("need --store, --model, --prompts and --out");
    }
    JsonNode p = JSON.readTree(prompts.toFile());
    Path cacheDir = Files.createTempDirectory("maas-bench-gen-cache-");
    EngineChoice engines = EngineChoice.start(new EngineOptions(engine, "cpu", threads, true));
    LocalModelStore local = new LocalModelStore(store);
    long t0 = System.nanoTime();
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
      ObjectNode r = new GenerationBench(g, bos).run(p, threads, newTokens, reps, streams);
      r.put("load_ms", Math.round(loadMs));
      r.put("engine", g.engine() == null ? engine : g.engine().name());
      r.put("weights_dtype", g.manifest().dtype());
      r.put("weight_bytes_held", g.weightBytes());
      r.put("package", g.manifest().id().toString());
      Files.createDirectories(out.toAbsolutePath().getParent());
      JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), r);
    } finally {
      ColdStart.deleteRecursively(cacheDir);
    }
  }

  private ObjectNode run(JsonNode p, int threads, int newTokens, int reps, List<Integer> streams) {
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
    ttft(ttftText);

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

    ObjectNode s = r.putObject("streams");
    s.put("path", "TextGenerator.forward, one batched step per token over every stream's cache");
    s.put("new_tokens_per_stream", newTokens);
    for (int n : streams) {
      List<Double> agg = new ArrayList<>();
      for (int i = 0; i < Math.max(1, reps / 2); i++) {
        agg.add(streams(decodeText, n, newTokens));
      }
      s.put(n + "_tokens_per_s", round(median(agg), 2));
      System.err.printf(
          "[generation] maaskit %d stream(s): %.2f tokens/s aggregate%n", n, median(agg));
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

  /** Aggregate tokens/s of {@code n} streams decoding together (prefills excluded). */
  private double streams(String text, int n, int newTokens) {
    List<TextGenerator.KvCache> caches = new ArrayList<>();
    try {
      List<int[]> prompts = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        caches.add(generator.newCache());
        prompts.add(prompt(text));
      }
      float[][] logits = generator.forward(caches, prompts);
      long t1 = System.nanoTime();
      for (int step = 0; step < newTokens; step++) {
        List<int[]> next = new ArrayList<>(n);
        for (float[] row : logits) {
          next.add(new int[] {argmax(row)});
        }
        logits = generator.forward(caches, next);
      }
      return (double) n * newTokens / ((System.nanoTime() - t1) / 1e9);
    } finally {
      caches.forEach(TextGenerator.KvCache::close);
    }
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

  private static double round(double v, int places) {
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }
}
