package io.maaskit.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.maaskit.model.task.Generation;
import io.maaskit.model.task.GenerationOptions;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.ResponseFormat;
import io.maaskit.model.task.SamplingParams;
import io.maaskit.model.task.internal.constraint.Grammar;
import io.maaskit.model.task.internal.constraint.Grammars;
import io.maaskit.model.task.internal.constraint.TokenAutomaton;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What constrained decoding costs, in one run on one generator package: decode tokens/s of one
 * stream through {@link GenerationService} without and with a JSON schema (same prompt, sampling
 * and seed; the first runs warm the automaton's memo, as a repeated schema is in a server), and the
 * time to build the automaton for a 20-property schema (schema compile, vocabulary trie, first
 * state's walk of the vocabulary).
 *
 * <pre>
 * StructuredBench --store bench/work/gen-store --model smollm2-135m-random-fp32 --threads 2 \
 *     --new-tokens 128 --reps 5 --out bench/work/generation/structured.json
 * </pre>
 */
public final class StructuredBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StructuredBench() {}

  public static void main(String[] args) throws Exception {
    Path store = null;
    String model = null;
    Path out = null;
    String engine = "auto";
    int threads = Subject.threads();
    int newTokens = 128;
    int reps = 5;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--store" -> store = Path.of(v);
        case "--model" -> model = v;
        case "--out" -> out = Path.of(v);
        case "--engine" -> engine = v;
        case "--threads" -> threads = Integer.parseInt(v);
        case "--new-tokens" -> newTokens = Integer.parseInt(v);
        case "--reps" -> reps = Integer.parseInt(v);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (store == null || model == null || out == null) {
      throw new IllegalArgumentException("need --store, --model and --out");
    }
    Path cacheDir = Files.createTempDirectory("maas-bench-structured-cache-");
    EngineChoice engines = EngineChoice.start(new EngineOptions(engine, "cpu", threads, true));
    LocalModelStore local = new LocalModelStore(store);
    try (ModelRegistry registry =
        new ModelRegistry(
            local,
            new PackageLoader(local, new PackageCache(cacheDir, 0), LoadMode.CACHE, engines),
            RegistryOptions.defaults())) {
      TextGenerator g =
          registry.get(ModelId.parse(model), Capability.GENERATOR, TextGenerator.class);
      ObjectNode r = JSON.createObjectNode();
      r.put("package", g.manifest().id().toString());
      r.put("threads", threads);
      r.put("vocab", g.vocabSize());
      build(g, r.putObject("automaton_20_properties"));
      try (GenerationService svc = new GenerationService(name -> g, model, options())) {
        Map<String, Object> schema = schema(20);
        for (int i = 0; i < 2; i++) { // warm-up: JIT and the schema's memo
          rate(svc, ResponseFormat.TEXT, newTokens);
          rate(svc, ResponseFormat.jsonSchema("bench", schema), newTokens);
        }
        List<Double> free = new ArrayList<>();
        List<Double> constrained = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
          free.add(rate(svc, ResponseFormat.TEXT, newTokens));
          constrained.add(rate(svc, ResponseFormat.jsonSchema("bench", schema), newTokens));
          System.err.printf(
              "[structured] #%d free %.2f tokens/s, schema %.2f tokens/s%n",
              i, free.get(i), constrained.get(i));
        }
        ObjectNode d = r.putObject("decode_one_stream");
        d.put("new_tokens", newTokens);
        d.put("free_tokens_per_s_median", GenerationBench.median(free));
        d.put("schema_tokens_per_s_median", GenerationBench.median(constrained));
        d.put(
            "slowdown_percent",
            100 * (1 - GenerationBench.median(constrained) / GenerationBench.median(free)));
      }
      Files.createDirectories(out.toAbsolutePath().getParent());
      JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), r);
    } finally {
      ColdStart.deleteRecursively(cacheDir);
    }
  }

  private static GenerationOptions options() {
    return new GenerationOptions(16, 32, 8, 4096);
  }

  /** Build cost, from nothing: compile, trie (first automaton over this tokenizer), first walk. */
  private static void build(TextGenerator g, ObjectNode r) {
    long t0 = System.nanoTime();
    Grammar grammar = Grammars.schema(schema(20), "bench");
    long t1 = System.nanoTime();
    TokenAutomaton a = TokenAutomaton.of(g.tokenizer(), g.vocabSize(), grammar);
    long t2 = System.nanoTime();
    a.newConstraint().mask(new float[g.vocabSize()], 1 << 20, Set.of());
    long t3 = System.nanoTime();
    r.put("compile_ms", (t1 - t0) / 1e6);
    r.put("vocabulary_trie_ms", (t2 - t1) / 1e6);
    r.put("first_state_walk_ms", (t3 - t2) / 1e6);
    r.put("total_ms", (t3 - t0) / 1e6);
  }

  /** Tokens/s of one greedy-free, seeded sampled stream (prefill included, as a client sees it). */
  private static double rate(GenerationService svc, ResponseFormat format, int newTokens) {
    SamplingParams p =
        new SamplingParams(newTokens, 1.0, null, null, 7L, null, null, null, null, null, 1, null);
    long t0 = System.nanoTime();
    Generation g =
        svc.generate(
            GenerateRequest.completion(null, "Here is a record in JSON:", p)
                .withResponseFormat(format),
            Cancellation.NONE);
    double s = (System.nanoTime() - t0) / 1e9;
    return g.completionTokens() / s;
  }

  /** An object of {@code n} required properties of every scalar type, an enum and an array. */
  static Map<String, Object> schema(int n) {
    Map<String, Object> props = new LinkedHashMap<>();
    List<String> required = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = "field_" + i;
      props.put(
          name,
          switch (i % 5) {
            case 0 -> Map.of("type", "string");
            case 1 -> Map.of("type", "integer");
            case 2 -> Map.of("type", "number");
            case 3 -> Map.of("enum", List.of("red", "green", "blue"));
            default -> Map.of("type", "array", "items", Map.of("type", "boolean"));
          });
      required.add(name);
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "object");
    s.put("properties", props);
    s.put("required", required);
    s.put("additionalProperties", false);
    return s;
  }
}
