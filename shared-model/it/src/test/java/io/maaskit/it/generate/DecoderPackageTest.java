package io.maaskit.it.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.it.TestModels;
import io.maaskit.it.TinyDecoders;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.GenerationConfig;
import io.maaskit.model.arch.TensorLayout;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextTokenizer;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.importer.HfDirectoryImporter;
import io.maaskit.tools.importer.ImportOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decoder packages as a user sees them: what the importer writes into the manifest, what it refuses
 * (naming the architecture), the tokenizer's exact round trips and raw token bytes, and the
 * generation defaults read from {@code generation_config.json} and {@code tokenizer_config.json}.
 */
class DecoderPackageTest {
  static TextGenerator llama;
  static TextGenerator gpt2;

  @BeforeAll
  static void load() throws Exception {
    EagerEngine engine = EagerEngine.start(EngineOptions.defaults());
    llama = load(TestModels.tinyLlama(), engine);
    gpt2 = load(TestModels.tinyGpt2(), engine);
  }

  static TextGenerator load(Path dir, Engine engine) throws IOException {
    ModelManifest m = ModelPackage.read(dir);
    return (TextGenerator)
        Architecture.forName(m.architecture())
            .load(m, p -> ByteBuffer.wrap(Files.readAllBytes(dir.resolve(p))), engine);
  }

  @AfterAll
  static void close() {
    llama.close();
    gpt2.close();
  }

  @Test
  void manifestDeclaresAGeneratorWithItsContextLength() throws IOException {
    ModelManifest m = ModelPackage.read(TestModels.tinyLlama());
    assertEquals(List.of(Capability.GENERATOR), m.capabilities());
    assertEquals(ModelManifest.TASK_GENERATION, m.task());
    assertEquals("llama", m.architecture());
    assertEquals(TinyDecoders.CONTEXT, m.maxSequenceLength());
    assertEquals("float32", m.dtype());
    for (String f :
        List.of(
            "config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "generation_config.json",
            "model.safetensors")) {
      assertTrue(m.file(f) != null, f + " is in the package");
    }
    assertEquals("bfloat16", ModelPackage.read(TestModels.tinyLlamaBf16()).dtype());
    ModelManifest sharded = ModelPackage.read(TestModels.tinyLlamaSharded());
    assertTrue(sharded.file("model.safetensors.index.json") != null);
    assertTrue(sharded.file("model-00001-of-00002.safetensors") != null);
    assertTrue(sharded.file("model-00002-of-00002.safetensors") != null);
    assertEquals("gpt2", ModelPackage.read(TestModels.tinyGpt2()).architecture());
    assertEquals("llama", ModelPackage.read(TestModels.tinyQwen2()).architecture());
  }

  @Test
  void layoutNamesEveryProjectionAsALinearWeight() throws IOException {
    Path dir = TestModels.tinyLlama();
    TensorLayout layout =
        Architecture.forName("llama")
            .layout(p -> ByteBuffer.wrap(Files.readAllBytes(dir.resolve(p))));
    assertEquals(
        TensorLayout.Role.LINEAR_WEIGHT, layout.role("model.layers.1.self_attn.k_proj.weight"));
    assertEquals(
        TensorLayout.Role.LINEAR_WEIGHT, layout.role("model.layers.0.mlp.down_proj.weight"));
    assertEquals(TensorLayout.Role.EMBEDDING_TABLE, layout.role("model.embed_tokens.weight"));
    assertEquals(TensorLayout.Role.OTHER, layout.role("model.norm.weight"));
    assertEquals(
        2 * 7,
        layout.roles().values().stream().filter(r -> r == TensorLayout.Role.LINEAR_WEIGHT).count());
    Path g = TestModels.tinyGpt2();
    TensorLayout gl =
        Architecture.forName("gpt2").layout(p -> ByteBuffer.wrap(Files.readAllBytes(g.resolve(p))));
    assertEquals(TensorLayout.Role.LINEAR_WEIGHT, gl.role("transformer.h.0.attn.c_attn.weight"));
    assertEquals(TensorLayout.Role.EMBEDDING_TABLE, gl.role("transformer.wpe.weight"));
  }

  @Test
  void refusesAnUnsupportedArchitectureByName(@TempDir Path tmp) throws IOException {
    Path hf = tmp.resolve("hf");
    TinyDecoders.write(TinyDecoders.Variant.of(TinyDecoders.Kind.LLAMA), hf, 1);
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(hf.resolve("config.json").toFile());
    config.putArray("architectures").add("LlamaForSequenceClassification");
    json.writeValue(hf.resolve("config.json").toFile(), config);
    IOException e = assertThrows(IOException.class, () -> importTo(hf, tmp.resolve("a")));
    assertTrue(e.getMessage().contains("LlamaForSequenceClassification"), e.getMessage());

    config.put("model_type", "falcon");
    config.putArray("architectures").add("FalconForCausalLM");
    json.writeValue(hf.resolve("config.json").toFile(), config);
    e = assertThrows(IOException.class, () -> importTo(hf, tmp.resolve("b")));
    assertTrue(e.getMessage().contains("falcon"), e.getMessage());
    assertTrue(e.getMessage().contains("FalconForCausalLM"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("b").resolve(ModelManifest.FILE)));
  }

  @Test
  void refusesAnIncompleteCheckpoint(@TempDir Path tmp) throws IOException {
    Path hf = tmp.resolve("hf");
    TinyDecoders.write(TinyDecoders.Variant.of(TinyDecoders.Kind.QWEN2), hf, 1);
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(hf.resolve("config.json").toFile());
    config.put("num_hidden_layers", 3); // the weights hold two
    json.writeValue(hf.resolve("config.json").toFile(), config);
    IOException e = assertThrows(IOException.class, () -> importTo(hf, tmp.resolve("p")));
    assertTrue(e.getMessage().contains("model.layers.2."), e.getMessage());
  }

  private static void importTo(Path hf, Path out) throws IOException {
    HfDirectoryImporter.importModel(
        hf, out, new ImportOptions("x", "1", null, false, null), Progress.NONE);
  }

  @Test
  void tokenizerRoundTripsTextExactly() {
    for (TextGenerator g : List.of(llama, gpt2)) {
      TextTokenizer t = g.tokenizer();
      for (String text :
          List.of(
              "Hello, world!",
              "  leading spaces and\ttabs\nnew lines  ",
              "Zürich, 日本語, émoji 🙂 and ∑",
              "<|im_start|>user\nhi<|im_end|>\n")) {
        int[] ids = t.encode(text, false);
        assertEquals(text, t.decode(ids, false), "round trip of " + text);
      }
    }
  }

  @Test
  void tokenBytesAreTheRawBytesAndMultiByteCharactersSplit() {
    TextTokenizer t = llama.tokenizer();
    String text = "naïve 日本 🙂 the end";
    int[] ids = t.encode(text, false);
    ByteArrayOutputStream joined = new ByteArrayOutputStream();
    for (int id : ids) {
      joined.writeBytes(t.tokenBytes(id));
    }
    assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), joined.toByteArray());
    // "日" is three bytes: three tokens, and a prefix that stops inside it decodes to U+FFFD.
    int[] ja = t.encode("日", false);
    assertEquals(3, ja.length);
    assertArrayEquals(new byte[] {(byte) 0xE6}, t.tokenBytes(ja[0]));
    assertTrue(t.decode(new int[] {ja[0], ja[1]}, false).endsWith("\uFFFD"));
    assertEquals("日", t.decode(ja, false));
    // A merged token: " the" is one token spelt Ġthe.
    int[] the = t.encode(" the", false);
    assertEquals(1, the.length);
    assertEquals("\u0120the", t.tokenString(the[0]));
    assertArrayEquals(" the".getBytes(StandardCharsets.UTF_8), t.tokenBytes(the[0]));
  }

  @Test
  void specialTokensAreKnownAndSkippable() {
    TextTokenizer t = llama.tokenizer();
    int imEnd = TinyDecoders.specialId("<|im_end|>");
    assertEquals(imEnd, t.tokenId("<|im_end|>").getAsInt());
    assertTrue(t.isSpecial(imEnd));
    assertFalse(t.isSpecial(t.encode("a", false)[0]));
    int[] ids = t.encode("<|im_start|>hi<|im_end|>", false);
    assertEquals(TinyDecoders.specialId("<|im_start|>"), ids[0]);
    assertEquals(imEnd, ids[ids.length - 1]);
    assertEquals("hi", t.decode(ids, true));
    assertArrayEquals("<|im_end|>".getBytes(StandardCharsets.UTF_8), t.tokenBytes(imEnd));
    assertTrue(t.tokenId("no-such-token").isEmpty());
  }

  @Test
  void generationConfigComesFromThePackageFiles() {
    GenerationConfig c = llama.generationConfig();
    assertEquals(
        List.of(TinyDecoders.specialId("<|im_end|>"), TinyDecoders.specialId("<|endoftext|>")),
        c.eosTokenIds());
    assertEquals(TinyDecoders.specialId("<|endoftext|>"), c.bosTokenId().getAsInt());
    assertEquals(TinyDecoders.CHAT_TEMPLATE, c.chatTemplate().orElseThrow());
    assertEquals("<|im_end|>", c.specialTokens().get("eos_token"));
    assertEquals(0.7, c.sampling().get("temperature"));
    assertEquals(0.9, c.sampling().get("top_p"));
    assertEquals(TinyDecoders.VOCAB, llama.vocabSize());
    assertEquals(TinyDecoders.CONTEXT, llama.contextLength());
    assertTrue(llama.weightBytes() > 0);
  }

  @Test
  void everyTinyPackageLoadsAsAGenerator() throws IOException {
    EagerEngine engine = EagerEngine.start(EngineOptions.defaults());
    for (Path p : Stream.of(TestModels.tinyQwen2(), TestModels.tinyGpt2Bf16Sharded()).toList()) {
      try (TextGenerator g = load(p, engine)) {
        assertEquals(TinyDecoders.VOCAB, g.vocabSize());
      }
    }
  }
}
