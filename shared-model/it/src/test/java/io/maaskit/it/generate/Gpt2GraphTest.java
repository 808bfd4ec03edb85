package io.maaskit.it.generate;

import static io.maaskit.it.generate.DecoderParityTest.argmax;
import static io.maaskit.it.generate.DecoderParityTest.assertClose;
import static io.maaskit.it.generate.DecoderParityTest.logSoftmax;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.maaskit.it.TestModels;
import io.maaskit.model.arch.gpt2.Gpt2Config;
import io.maaskit.model.arch.huggingface.HfTextTokenizer;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.OnnxCompiler;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiled float32 GPT-2 graph, run through a bare ONNX Runtime session (no kit runtime in
 * between), against {@link ReferenceDecoder}: greedy tokens and log-probabilities over 32 steps fed
 * by the graph's own {@code present.*} outputs, and a right-padded batch of prompts of different
 * lengths, then a batched decode over one shared cache buffer, equal to each prompt alone.
 */
class Gpt2GraphTest {
  @TempDir static Path tmp;
  static OrtEnvironment env;
  static OrtSession session;
  static Gpt2Config config;
  static HfTextTokenizer tokenizer;
  static Path source;

  @BeforeAll
  static void compile() throws Exception {
    source = TestModels.tinyGpt2();
    Path dir = Files.createDirectories(tmp.resolve("gpt2"));
    var manifest = ModelPackage.read(source);
    for (PackageFile f : manifest.files()) {
      Files.copy(source.resolve(f.path()), dir.resolve(f.path()));
    }
    OnnxCompiler.Result r =
        OnnxCompiler.writeGraph(dir, manifest, CompileOptions.defaults(), Progress.NONE);
    System.out.println("tiny-gpt2 graph: " + r.bytes() + " bytes, ops " + r.ops());
    assertTrue(r.ops().containsKey("GroupQueryAttention"), "attention is GroupQueryAttention");
    config = Gpt2Config.parse(Files.readAllBytes(dir.resolve("config.json")));
    tokenizer = HfTextTokenizer.of(Files.readAllBytes(dir.resolve("tokenizer.json")));
    // The kit's engine first: it creates ONNX Runtime's one environment with its thread pool, which
    // a bare getEnvironment() would otherwise pre-empt for every later test in this JVM.
    io.maaskit.model.engine.Engine.start(
        new io.maaskit.model.engine.EngineOptions("onnxruntime", "cpu", 0, true));
    env = OrtEnvironment.getEnvironment();
    session =
        env.createSession(
            Files.readAllBytes(dir.resolve("model.onnx")), new OrtSession.SessionOptions());
  }

  @AfterAll
  static void close() throws Exception {
    session.close();
    tokenizer.close();
  }

  /** Keys and values of a batch: per layer, [batch, heads, length, headSize]. */
  record Cache(float[][] keys, float[][] values, int length) {
    static Cache empty(int layers, int batch) {
      return new Cache(new float[layers][0], new float[layers][0], 0);
    }
  }

  /** One run: tokens right-padded to the longest row; returns logits and the presents. */
  static float[][] step(List<int[]> rows, int[] held, Cache past, List<Cache> presentOut)
      throws Exception {
    int b = rows.size();
    int s = rows.stream().mapToInt(r -> r.length).max().orElseThrow();
    long[] ids = new long[b * s];
    long[] pos = new long[b * s];
    int[] seqlensK = new int[b];
    int total = 0;
    for (int i = 0; i < b; i++) {
      int[] r = rows.get(i);
      for (int j = 0; j < s; j++) {
        ids[i * s + j] = j < r.length ? r[j] : 0;
        pos[i * s + j] = j < r.length ? held[i] + j : 0;
      }
      seqlensK[i] = held[i] + r.length - 1;
      total = Math.max(total, held[i] + r.length);
    }
    int h = config.heads();
    int d = config.headSize();
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {b, s}));
      in.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(pos), new long[] {b, s}));
      in.put("seqlens_k", OnnxTensor.createTensor(env, IntBuffer.wrap(seqlensK), new long[] {b}));
      in.put(
          "total_sequence_length",
          OnnxTensor.createTensor(env, IntBuffer.wrap(new int[] {total}), new long[] {}));
      for (int l = 0; l < config.layers(); l++) {
        long[] shape = {b, h, past.length(), d};
        in.put(
            "past_key_values." + l + ".key",
            OnnxTensor.createTensor(env, FloatBuffer.wrap(past.keys()[l]), shape));
        in.put(
            "past_key_values." + l + ".value",
            OnnxTensor.createTensor(env, FloatBuffer.wrap(past.values()[l]), shape));
      }
      try (OrtSession.Result out = session.run(in)) {
        float[][] logits = (float[][]) out.get("logits").orElseThrow().getValue();
        float[][] k = new float[config.layers()][];
        float[][] v = new float[config.layers()][];
        long length = 0;
        for (int l = 0; l < config.layers(); l++) {
          OnnxTensor pk = (OnnxTensor) out.get("present." + l + ".key").orElseThrow();
          OnnxTensor pv = (OnnxTensor) out.get("present." + l + ".value").orElseThrow();
          length = pk.getInfo().getShape()[2];
          k[l] = floats(pk);
          v[l] = floats(pv);
        }
        presentOut.add(new Cache(k, v, (int) length));
        return logits;
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  private static float[] floats(OnnxTensor t) {
    FloatBuffer b = t.getFloatBuffer();
    float[] f = new float[b.remaining()];
    b.get(f);
    return f;
  }

  @Test
  void greedyDecodeMatchesTheReference() throws Exception {
    ReferenceDecoder reference = new ReferenceDecoder(source);
    List<Integer> seq = new ArrayList<>();
    for (int id : tokenizer.encode(DecoderParityTest.PROMPT, false)) {
      seq.add(id);
    }
    List<Cache> present = new ArrayList<>();
    float[] logits =
        step(
            List.of(DecoderParityTest.ints(seq)),
            new int[] {0},
            Cache.empty(config.layers(), 1),
            present)[0];
    double worst = 0;
    List<Integer> generated = new ArrayList<>();
    for (int stepNo = 0; stepNo < DecoderParityTest.STEPS; stepNo++) {
      assertEquals(config.vocabSize(), logits.length);
      double[] ours = logSoftmax(logits);
      double[] ref = reference.nextLogProbs(DecoderParityTest.ints(seq));
      int next = argmax(ours);
      assertEquals(argmax(ref), next, "greedy token at step " + stepNo);
      for (int v = 0; v < ref.length; v++) {
        worst = Math.max(worst, Math.abs(ours[v] - ref[v]));
      }
      assertTrue(worst < 1e-3, "log-probabilities differ by " + worst + " at step " + stepNo);
      Cache past = present.get(present.size() - 1);
      assertEquals(seq.size(), past.length(), "the cache holds every token");
      seq.add(next);
      generated.add(next);
      logits = step(List.of(new int[] {next}), new int[] {past.length()}, past, present)[0];
    }
    System.out.printf(
        "tiny-gpt2 graph: greedy %s, worst log-prob difference %.2e%n", generated, worst);
    assertTrue(generated.stream().distinct().count() > 1, "more than one distinct token");
  }

  @Test
  void aPaddedBatchEqualsEachRowAlone() throws Exception {
    List<int[]> prompts =
        List.of(
            tokenizer.encode("Hi", false),
            tokenizer.encode("The quick brown fox jumps over the lazy dog", false),
            tokenizer.encode("日本語 and ASCII", false));
    int steps = 6;
    List<List<float[]>> alone = new ArrayList<>();
    for (int[] p : prompts) {
      List<float[]> rows = new ArrayList<>();
      List<Cache> present = new ArrayList<>();
      float[] logits = step(List.of(p), new int[] {0}, Cache.empty(config.layers(), 1), present)[0];
      rows.add(logits);
      int held = p.length;
      for (int s = 0; s < steps; s++) {
        Cache past = present.get(present.size() - 1);
        logits =
            step(
                List.of(new int[] {DecoderParityTest.argmaxF(logits)}),
                new int[] {held},
                past,
                present)[0];
        held++;
        rows.add(logits);
      }
      alone.add(rows);
    }
    // Batched: one right-padded prefill, then decode steps over the shared, padded cache.
    List<Cache> present = new ArrayList<>();
    float[][] logits = step(prompts, new int[3], Cache.empty(config.layers(), 3), present);
    int[] held = prompts.stream().mapToInt(p -> p.length).toArray();
    for (int s = 0; s <= steps; s++) {
      for (int i = 0; i < 3; i++) {
        assertClose(alone.get(i).get(s), logits[i], 1e-4, "row " + i + " step " + s);
      }
      if (s == steps) {
        break;
      }
      List<int[]> next = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        next.add(new int[] {DecoderParityTest.argmaxF(logits[i])});
      }
      logits = step(next, held.clone(), present.get(present.size() - 1), present);
      for (int i = 0; i < 3; i++) {
        held[i]++;
      }
    }
  }
}
