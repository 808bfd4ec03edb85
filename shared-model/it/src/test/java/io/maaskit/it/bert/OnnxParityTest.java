package io.maaskit.it.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.maaskit.it.TestModels;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.arch.bert.*;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.model.testing.TestTexts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our DJL/PyTorch BERT against an independent runtime: ONNX Runtime executing the original ONNX
 * file of all-MiniLM-L6-v2, on the same token ids.
 */
class OnnxParityTest {
  static ModelRegistry registry;
  static TextEncoder encoder;

  @BeforeAll
  static void load() throws Exception {
    TestModels.miniLm();
    LocalModelStore store = new LocalModelStore(TestModels.storeRoot());
    EagerEngine rt = EagerEngine.start(EngineOptions.defaults());
    registry =
        new ModelRegistry(
            store,
            new PackageLoader(
                store, new PackageCache(Path.of("target/cache"), 0), LoadMode.CACHE, rt),
            RegistryOptions.defaults());
    encoder =
        registry.get(ModelId.parse("all-minilm-l6-v2"), Capability.ENCODER, TextEncoder.class);
  }

  @AfterAll
  static void close() {
    registry.close();
  }

  @Test
  void matchesOnnxRuntimeOnEveryInput() throws Exception {
    List<String> texts = TestTexts.varied();
    assertTrue(texts.size() >= 30);
    float[][] ours = EmbeddingService.embed(encoder, texts, true).vectors();
    float[][] ref = onnxReference(texts);
    double worst = 1;
    for (int i = 0; i < texts.size(); i++) {
      assertEquals(384, ours[i].length);
      double c = TestTexts.cosine(ours[i], ref[i]);
      worst = Math.min(worst, c);
      assertTrue(c >= 0.999, "input " + i + " '" + texts.get(i) + "': cosine " + c);
    }
    System.out.printf("ONNX Runtime parity: %d inputs, worst cosine %.6f%n", texts.size(), worst);
  }

  @Test
  void batchedEqualsSingle() {
    List<String> texts = TestTexts.varied();
    float[][] batched = EmbeddingService.embed(encoder, texts, true).vectors();
    for (int i = 0; i < texts.size(); i++) {
      float[] single = EmbeddingService.embed(encoder, List.of(texts.get(i)), true).vectors()[0];
      double c = TestTexts.cosine(single, batched[i]);
      assertTrue(c >= 0.9999, "input " + i + ": batched vs single cosine " + c);
    }
  }

  @Test
  void vectorsAreUnitLengthAndSemanticallySensible() {
    float[][] v =
        EmbeddingService.embed(
                encoder,
                List.of(
                    "A cat sits on the mat.",
                    "A kitten is sitting on a rug.",
                    "Quarterly tax filings are due."),
                true)
            .vectors();
    for (float[] x : v) {
      double n = 0;
      for (float f : x) {
        n += f * f;
      }
      assertEquals(1.0, Math.sqrt(n), 1e-4);
    }
    assertTrue(TestTexts.cosine(v[0], v[1]) > TestTexts.cosine(v[0], v[2]) + 0.3);
  }

  /**
   * Tokenize the same way (no padding, truncation at 256), run the ONNX graph, mean-pool,
   * normalize.
   */
  static float[][] onnxReference(List<String> texts) throws Exception {
    Path onnx = TestModels.resource("all-minilm-l6-v2.onnx");
    Path tok = TestModels.resource("all-minilm-l6-v2-tokenizer.json");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    List<float[]> out = new ArrayList<>();
    try (HuggingFaceTokenizer tokenizer =
            HuggingFaceTokenizer.newInstance(
                tok, Map.of("padding", "false", "truncation", "true", "maxLength", "256"));
        OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
      for (String text : texts) {
        Encoding e = tokenizer.encode(text);
        long[][] ids = {e.getIds()};
        long[][] mask = {e.getAttentionMask()};
        long[][] types = {e.getTypeIds()};
        try (OnnxTensor a = OnnxTensor.createTensor(env, ids);
            OnnxTensor b = OnnxTensor.createTensor(env, mask);
            OnnxTensor c = OnnxTensor.createTensor(env, types);
            OrtSession.Result r =
                session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
          float[][][] hidden = (float[][][]) r.get(0).getValue();
          float[] pooled = new float[hidden[0][0].length];
          for (float[] row : hidden[0]) {
            for (int j = 0; j < row.length; j++) {
              pooled[j] += row[j] / hidden[0].length;
            }
          }
          double n = 0;
          for (float f : pooled) {
            n += f * f;
          }
          for (int j = 0; j < pooled.length; j++) {
            pooled[j] /= (float) Math.sqrt(n);
          }
          out.add(pooled);
        }
      }
    }
    return out.toArray(new float[0][]);
  }
}
