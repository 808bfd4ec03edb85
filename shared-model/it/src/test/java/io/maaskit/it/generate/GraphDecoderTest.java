package io.maaskit.it.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.it.TestModels;
import io.maaskit.it.TinyDecoders;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextGenerator.KvCache;
import io.maaskit.model.arch.decoder.DecoderGraph;
import io.maaskit.model.arch.decoder.GraphDecoderGenerator;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.Cancellation;
import io.maaskit.model.task.GenerateRequest;
import io.maaskit.model.task.Generation;
import io.maaskit.model.task.GenerationListener;
import io.maaskit.model.task.GenerationOptions;
import io.maaskit.model.task.GenerationService;
import io.maaskit.model.task.SamplingParams;
import io.maaskit.tools.cli.Cli;
import io.maaskit.tools.cli.CompileOnnxCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graph-backed generator on ONNX Runtime beyond the parity oracle: a graph that does not match
 * its config is refused at load with the mismatch named; the continuous-batching loop of {@link
 * GenerationService} gives every concurrent request what it gives it alone, and keeps refusing a
 * prompt plus {@code max_tokens} beyond the context; closing a sequence's cache (which moves
 * another sequence into its slot) leaves the others' caches intact and frees the buffers with the
 * last one.
 */
class GraphDecoderTest {
  @TempDir Path tmp;

  static Engine ort() {
    return Engine.start(new EngineOptions("onnxruntime", "cpu", 0, true));
  }

  static LoadedModel load(Path dir) throws Exception {
    Path root = dir.getParent().getParent();
    LocalModelStore store = new LocalModelStore(root);
    Path cache = Files.createDirectories(Path.of("target", "graph-test-cache"));
    return new PackageLoader(store, new PackageCache(cache, 0), LoadMode.CACHE, ort())
        .load(ModelPackage.read(dir))
        .model();
  }

  /**
   * A package {@code name} in the temporary store: {@code src}'s tokenizer files, weights and
   * {@code extra}.
   */
  private Path copy(Path src, String name, String extra) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("store").resolve(name).resolve("1"));
    for (String f :
        List.of(
            extra,
            "tokenizer.json",
            "tokenizer_config.json",
            "generation_config.json",
            "model.safetensors")) {
      Files.copy(src.resolve(f), dir.resolve(f));
    }
    return dir;
  }

  @Test
  void refusesAGraphThatDoesNotMatchItsConfig() throws Exception {
    Path src = TestModels.tinyLlama();
    Path dir = copy(src, "mismatch", DecoderGraph.FILE);
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
    config.put("vocab_size", TinyDecoders.VOCAB + 16);
    config.put("num_key_value_heads", 4);
    json.writeValue(dir.resolve("config.json").toFile(), config);
    ModelPackage.seal(dir, ModelPackage.read(src).withId("mismatch", "1"));

    Exception e = assertThrows(Exception.class, () -> load(dir));
    String message = e.getMessage();
    assertTrue(
        message.contains(
            "vocabulary "
                + TinyDecoders.VOCAB
                + " in the graph, "
                + (TinyDecoders.VOCAB + 16)
                + " in config.json"),
        message);
    assertTrue(message.contains("key/value heads 2 in the graph, 4 in config.json"), message);
    // The engine is unharmed: the matching package still loads and runs from its graph.
    try (TextGenerator g = (TextGenerator) load(src);
        KvCache c = g.newCache()) {
      assertTrue(g instanceof GraphDecoderGenerator);
      assertEquals(g.vocabSize(), g.forward(List.of(c), List.of(new int[] {1, 2, 3}))[0].length);
    }
  }

  @Test
  void continuousBatchingGivesEachRequestWhatItGetsAlone() throws Exception {
    try (TextGenerator g = (TextGenerator) load(TestModels.tinyLlama());
        GenerationService svc =
            new GenerationService(name -> g, "tiny-llama", GenerationOptions.defaults())) {
      assertTrue(g instanceof GraphDecoderGenerator);
      List<String> prompts =
          List.of(
              "Hi",
              "The quick brown fox jumps over the lazy dog",
              "日本語 and ASCII",
              "a late joiner with a longer prompt than most");
      List<Generation> alone = new ArrayList<>();
      for (int i = 0; i < prompts.size(); i++) {
        alone.add(svc.generate(request(prompts.get(i), 10 + 3 * i), Cancellation.NONE));
      }
      List<GenerationService.Started> together = new ArrayList<>();
      for (int i = 0; i < prompts.size(); i++) {
        together.add(
            svc.start(
                request(prompts.get(i), 10 + 3 * i), Cancellation.NONE, GenerationListener.NONE));
      }
      for (int i = 0; i < prompts.size(); i++) {
        Generation.Choice a = alone.get(i).choices().get(0);
        Generation.Choice b = together.get(i).await().choices().get(0);
        assertEquals(a.text(), b.text(), "request " + i);
        assertEquals(a.tokens(), b.tokens(), "request " + i);
        assertTrue(a.tokens() > 0);
      }

      InvalidRequestException tooLong =
          assertThrows(
              InvalidRequestException.class,
              () -> svc.generate(request("Hi there", TinyDecoders.CONTEXT), Cancellation.NONE));
      assertTrue(
          tooLong.getMessage().contains("context of " + TinyDecoders.CONTEXT + " tokens"),
          tooLong.getMessage());
    }
  }

  private static GenerateRequest request(String prompt, int maxTokens) {
    return GenerateRequest.completion(null, prompt, SamplingParams.greedy(maxTokens));
  }

  @Test
  void closingACacheKeepsTheOthersAndTheLastFreesTheBuffers() throws Exception {
    try (GraphDecoderGenerator g = (GraphDecoderGenerator) load(TestModels.tinyLlama())) {
      int[] prompt = g.tokenizer().encode("The weather in Zürich is", false);
      List<float[]> expected = new ArrayList<>();
      try (KvCache c = g.newCache()) {
        float[] logits = g.forward(List.of(c), List.of(prompt))[0];
        for (int s = 0; s < 6; s++) {
          logits = g.forward(List.of(c), List.of(new int[] {DecoderParityTest.argmaxF(logits)}))[0];
          expected.add(logits);
        }
      }
      assertEquals(0, g.cacheBytes(), "the last cache closed frees the buffers");
      KvCache first = g.newCache();
      KvCache second = g.newCache();
      KvCache third = g.newCache();
      g.forward(List.of(first, second), List.of(new int[] {5, 6, 7}, new int[] {8, 9}));
      float[] logits = g.forward(List.of(third), List.of(prompt))[0];
      assertTrue(g.cacheBytes() > 0);
      first.close(); // the third sequence moves into the first one's slot
      for (int s = 0; s < 6; s++) {
        float[][] out =
            g.forward(
                List.of(second, third),
                List.of(new int[] {3}, new int[] {DecoderParityTest.argmaxF(logits)}));
        logits = out[1];
        assertArrayEquals(expected.get(s), logits, 1e-4f, "step " + s);
        if (s == 2) {
          KvCache fourth = g.newCache();
          g.forward(List.of(fourth), List.of(new int[] {4, 4}));
          second.close(); // the fourth moves into the second one's slot, mid-generation
          second = fourth;
        }
      }
      second.close();
      third.close();
      assertEquals(0, g.cacheBytes());
    }
  }

  /** {@code scripts/compile-onnx} gives an existing decoder package its graph. */
  @Test
  void compileOnnxAddsTheGraphToADecoderPackage() throws Exception {
    Path src = TestModels.tinyQwen2();
    Path dir = copy(src, "plain", "config.json");
    ModelPackage.seal(dir, ModelPackage.read(src).withId("plain", "1"));
    assertEquals(null, ModelPackage.read(dir).file(DecoderGraph.FILE));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        Cli.run(
            new CompileOnnxCli(),
            new String[] {dir.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertEquals(Cli.OK, code, out.toString(StandardCharsets.UTF_8));
    assertTrue(
        out.toString(StandardCharsets.UTF_8).contains("GroupQueryAttention"), out.toString());
    assertTrue(ModelPackage.read(dir).file(DecoderGraph.FILE) != null);
    try (TextGenerator compiled = (TextGenerator) load(dir);
        TextGenerator imported = (TextGenerator) load(src);
        KvCache a = compiled.newCache();
        KvCache b = imported.newCache()) {
      assertTrue(compiled instanceof GraphDecoderGenerator);
      int[] prompt = compiled.tokenizer().encode("Compiled twice, the same", false);
      assertArrayEquals(
          imported.forward(List.of(b), List.of(prompt))[0],
          compiled.forward(List.of(a), List.of(prompt))[0]);
    }
  }

  /** GroupQueryAttention's "subsequent prompt": several new tokens after a filled cache. */
  @Test
  void appendingSeveralTokensToAFilledCacheEqualsOneByOne() throws Exception {
    try (TextGenerator g = (TextGenerator) load(TestModels.tinyLlama());
        KvCache chunked = g.newCache();
        KvCache single = g.newCache()) {
      int[] prompt = g.tokenizer().encode("The weather in Zürich is", false);
      int[] more = {40, 41, 42, 43};
      g.forward(List.of(chunked), List.of(prompt));
      float[] a = g.forward(List.of(chunked), List.of(more))[0];
      g.forward(List.of(single), List.of(prompt));
      float[] b = null;
      for (int t : more) {
        b = g.forward(List.of(single), List.of(new int[] {t}))[0];
      }
      assertArrayEquals(b, a, 1e-4f);
      assertEquals(prompt.length + more.length, chunked.length());
    }
  }
}
