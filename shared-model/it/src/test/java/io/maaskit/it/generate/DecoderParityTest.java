package io.maaskit.it.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.it.TinyDecoders;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextGenerator.KvCache;
import io.maaskit.model.arch.decoder.GraphDecoderGenerator;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.internal.PackageCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every decoder architecture, on the tiny random checkpoints the fixture writes (fp32, bf16,
 * sharded, with and without GPT-2's prefix), against {@link ReferenceDecoder}: the same greedy
 * tokens over 32 steps and log-probabilities within 1e-3 at every step; decoding with the cache
 * equals recomputing the whole sequence; a batch of different-length sequences (one joining while
 * the others decode, in changing order) equals running each alone.
 *
 * <p>A case named {@code ort:<package>} runs the package's compiled float32 graph ({@code
 * model.onnx}, written by the importer) on ONNX Runtime through the graph-backed generator; the
 * others run the eager network on PyTorch.
 */
class DecoderParityTest {
  static final int STEPS = 32;
  static final String PROMPT = "The weather in Zürich is";
  static final String ORT = "ort:";
  static final Map<String, Path> PACKAGES = new TreeMap<>();
  static ModelRegistry registry;
  static ModelRegistry ortRegistry;

  @BeforeAll
  static void load() throws Exception {
    PACKAGES.put(TestModels.TINY_LLAMA, TestModels.tinyLlama());
    PACKAGES.put("tiny-llama-bf16", TestModels.tinyLlamaBf16());
    PACKAGES.put("tiny-llama-sharded", TestModels.tinyLlamaSharded());
    PACKAGES.put(TestModels.TINY_QWEN2, TestModels.tinyQwen2());
    PACKAGES.put(TestModels.TINY_GPT2, TestModels.tinyGpt2());
    PACKAGES.put("tiny-gpt2-bf16-sharded", TestModels.tinyGpt2Bf16Sharded());
    Path root = PACKAGES.get(TestModels.TINY_LLAMA).getParent().getParent();
    LocalModelStore store = new LocalModelStore(root);
    EagerEngine engine = EagerEngine.start(EngineOptions.defaults());
    registry =
        new ModelRegistry(
            store,
            new PackageLoader(
                store, new PackageCache(Path.of("target/cache"), 0), LoadMode.CACHE, engine),
            RegistryOptions.defaults());
    Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", 0, true));
    ortRegistry =
        new ModelRegistry(
            store,
            new PackageLoader(
                store, new PackageCache(Path.of("target/ort-cache"), 0), LoadMode.CACHE, ort),
            RegistryOptions.defaults());
  }

  @AfterAll
  static void close() {
    registry.close();
    ortRegistry.close();
  }

  static TextGenerator generator(String name) {
    boolean graph = name.startsWith(ORT);
    TextGenerator g =
        (graph ? ortRegistry : registry)
            .get(
                ModelId.parse(graph ? name.substring(ORT.length()) : name),
                Capability.GENERATOR,
                TextGenerator.class);
    assertEquals(
        graph,
        g instanceof GraphDecoderGenerator,
        name + " runs " + (graph ? "its compiled graph" : "the eager network"));
    return g;
  }

  static Path checkpoint(String name) {
    return PACKAGES.get(name.startsWith(ORT) ? name.substring(ORT.length()) : name);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "tiny-llama",
        "tiny-llama-bf16",
        "tiny-llama-sharded",
        "tiny-qwen2",
        "tiny-gpt2",
        "tiny-gpt2-bf16-sharded",
        "ort:tiny-llama",
        "ort:tiny-llama-bf16",
        "ort:tiny-llama-sharded",
        "ort:tiny-qwen2",
        "ort:tiny-gpt2",
        "ort:tiny-gpt2-bf16-sharded"
      })
  void greedyTokensAndLogProbsMatchTheIndependentReference(String name) throws Exception {
    TextGenerator g = generator(name);
    ReferenceDecoder reference = new ReferenceDecoder(checkpoint(name));
    List<Integer> seq = new ArrayList<>();
    for (int id : g.tokenizer().encode(PROMPT, false)) {
      seq.add(id);
    }
    assertTrue(seq.size() > 8, "the prompt has multi-byte characters split across tokens");
    List<Integer> generated = new ArrayList<>();
    double worst = 0;
    try (KvCache cache = g.newCache()) {
      float[] logits = g.forward(List.of(cache), List.of(ints(seq)))[0];
      for (int step = 0; step < STEPS; step++) {
        assertEquals(g.vocabSize(), logits.length);
        double[] ours = logSoftmax(logits);
        double[] ref = reference.nextLogProbs(ints(seq));
        int next = argmax(ours);
        assertEquals(argmax(ref), next, name + ": greedy token at step " + step);
        for (int v = 0; v < ref.length; v++) {
          worst = Math.max(worst, Math.abs(ours[v] - ref[v]));
        }
        assertTrue(
            worst < 1e-3, name + ": log-probabilities differ by " + worst + " at step " + step);
        seq.add(next);
        generated.add(next);
        logits = g.forward(List.of(cache), List.of(new int[] {next}))[0];
      }
      assertEquals(seq.size(), cache.length());
    }
    System.out.printf("%s: greedy %s, worst log-prob difference %.2e%n", name, generated, worst);
    assertTrue(
        generated.stream().distinct().count() > 1, "the comparison covers more than one token");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "tiny-llama",
        "tiny-qwen2",
        "tiny-gpt2",
        "ort:tiny-llama",
        "ort:tiny-qwen2",
        "ort:tiny-gpt2"
      })
  void cachedDecodeEqualsFullRecomputation(String name) {
    TextGenerator g = generator(name);
    List<Integer> seq = new ArrayList<>();
    for (int id : g.tokenizer().encode(PROMPT, false)) {
      seq.add(id);
    }
    try (KvCache cache = g.newCache()) {
      float[] cached = g.forward(List.of(cache), List.of(ints(seq)))[0];
      for (int step = 0; step < STEPS; step++) {
        float[] full;
        try (KvCache fresh = g.newCache()) {
          full = g.forward(List.of(fresh), List.of(ints(seq)))[0];
        }
        assertClose(full, cached, 1e-4, name + " step " + step);
        int next = argmax(logSoftmax(cached));
        seq.add(next);
        cached = g.forward(List.of(cache), List.of(new int[] {next}))[0];
      }
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "tiny-llama",
        "tiny-qwen2",
        "tiny-gpt2",
        "ort:tiny-llama",
        "ort:tiny-qwen2",
        "ort:tiny-gpt2"
      })
  void batchedDifferentLengthsEqualOneAtATime(String name) {
    TextGenerator g = generator(name);
    List<int[]> prompts =
        List.of(
            g.tokenizer().encode("Hi", false),
            g.tokenizer().encode("The quick brown fox jumps over the lazy dog", false),
            g.tokenizer().encode("日本語 and ASCII", false),
            g.tokenizer().encode("a late joiner", false));
    int steps = 12;
    int joinAt = 5; // the fourth sequence prefills while the others decode
    // One at a time.
    List<List<float[]>> alone = new ArrayList<>();
    for (int[] p : prompts) {
      List<float[]> rows = new ArrayList<>();
      try (KvCache c = g.newCache()) {
        float[] logits = g.forward(List.of(c), List.of(p))[0];
        rows.add(logits);
        for (int s = 0; s < steps; s++) {
          logits = g.forward(List.of(c), List.of(new int[] {argmax(logSoftmax(logits))}))[0];
          rows.add(logits);
        }
      }
      alone.add(rows);
    }
    // Batched.
    List<KvCache> caches = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      caches.add(g.newCache());
    }
    try {
      List<List<float[]>> batched = new ArrayList<>();
      for (int i = 0; i < prompts.size(); i++) {
        batched.add(new ArrayList<>());
      }
      float[][] first =
          g.forward(caches.subList(0, 3), List.of(prompts.get(0), prompts.get(1), prompts.get(2)));
      for (int i = 0; i < 3; i++) {
        batched.get(i).add(first[i]);
      }
      for (int s = 0; s <= steps + joinAt; s++) {
        List<KvCache> active = new ArrayList<>();
        List<int[]> input = new ArrayList<>();
        List<Integer> who = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
          List<float[]> rows = batched.get(i);
          if (i == 3 && s == joinAt) {
            active.add(caches.get(3));
            input.add(prompts.get(3));
            who.add(3);
          } else if (!rows.isEmpty() && rows.size() <= steps) {
            active.add(caches.get(i));
            input.add(new int[] {argmax(logSoftmax(rows.get(rows.size() - 1)))});
            who.add(i);
          }
        }
        if (active.isEmpty()) {
          break;
        }
        if (s % 2 == 1) {
          // The caller's order is free: reversed, the sequences' cache slots are not adjacent.
          java.util.Collections.reverse(active);
          java.util.Collections.reverse(input);
          java.util.Collections.reverse(who);
        }
        float[][] out = g.forward(active, input);
        for (int k = 0; k < who.size(); k++) {
          batched.get(who.get(k)).add(out[k]);
        }
      }
      for (int i = 0; i < prompts.size(); i++) {
        assertEquals(steps + 1, batched.get(i).size(), name + " sequence " + i + " rows");
        for (int s = 0; s <= steps; s++) {
          assertClose(
              alone.get(i).get(s), batched.get(i).get(s), 1e-4, name + " seq " + i + " step " + s);
        }
      }
    } finally {
      caches.forEach(KvCache::close);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llama", "tiny-gpt2", "ort:tiny-llama", "ort:tiny-gpt2"})
  void refusesToGrowPastTheContextLength(String name) {
    TextGenerator g = generator(name);
    assertEquals(TinyDecoders.CONTEXT, g.contextLength());
    int[] almost = new int[TinyDecoders.CONTEXT - 1];
    try (KvCache c = g.newCache()) {
      g.forward(List.of(c), List.of(almost));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> g.forward(List.of(c), List.of(new int[] {1, 2})));
      assertTrue(e.getMessage().contains("context length " + TinyDecoders.CONTEXT), e.getMessage());
      assertEquals(
          TinyDecoders.CONTEXT - 1, c.length(), "a refused step leaves the cache as it was");
      assertEquals(g.vocabSize(), g.forward(List.of(c), List.of(new int[] {1}))[0].length);
      assertEquals(TinyDecoders.CONTEXT, c.length());
    }
    try (KvCache c = g.newCache()) {
      assertThrows(
          IllegalArgumentException.class,
          () -> g.forward(List.of(c), List.of(new int[] {g.vocabSize()})));
    }
  }

  static void assertClose(float[] expected, float[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what);
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(worst <= tol, what + ": logits differ by " + worst);
    assertArrayEquals(new int[] {argmaxF(expected)}, new int[] {argmaxF(actual)}, what);
  }

  static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  static double[] logSoftmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - max);
    }
    double logZ = max + Math.log(sum);
    double[] out = new double[logits.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = logits[i] - logZ;
    }
    return out;
  }

  static int argmax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  static int argmaxF(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
