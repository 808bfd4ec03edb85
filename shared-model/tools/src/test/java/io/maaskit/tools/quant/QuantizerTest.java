package io.maaskit.tools.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.arch.TensorLayout;
import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.store.Progress;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The int8 math and which tensors are quantized; no engine needed. */
class QuantizerTest {
  private static Tensor randomMatrix(int rows, int cols, long seed) {
    Random r = new Random(seed);
    float[] w = new float[rows * cols];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * 0.05 * (1 + i / cols)); // rows of very different ranges
    }
    return Tensor.ofFloats(w, rows, cols);
  }

  @Test
  void everyElementIsWithinHalfAStepOfItsRowScale() {
    Tensor t = randomMatrix(16, 384, 1);
    SymmetricInt8.Quantized q = SymmetricInt8.quantizeRows(t);
    assertEquals("I8", q.values().dtype());
    assertArrayEquals(new long[] {16, 384}, q.values().shape());
    assertEquals("F32", q.scale().dtype());
    assertArrayEquals(new long[] {16}, q.scale().shape());
    float[] w = t.toFloats();
    float[] back = SymmetricInt8.dequantize(q);
    float[] scales = q.scale().toFloats();
    for (int r = 0; r < 16; r++) {
      float max = 0;
      for (int c = 0; c < 384; c++) {
        max = Math.max(max, Math.abs(w[r * 384 + c]));
      }
      assertEquals(max / 127, scales[r], 1e-9, "row " + r);
      for (int c = 0; c < 384; c++) {
        int i = r * 384 + c;
        assertTrue(Math.abs(w[i] - back[i]) <= scales[r] / 2 * 1.0001, "element " + i);
      }
    }
  }

  @Test
  void largestMagnitudeMapsToPlusMinus127AndSignsAreSymmetric() {
    Tensor t =
        Tensor.ofFloats(new float[] {0.5f, -1.0f, 0.25f, 1.0f, 2.0f, -2.0f, 0.0f, 1.0f}, 2, 4);
    SymmetricInt8.Quantized q = SymmetricInt8.quantizeRows(t);
    byte[] v = bytes(q.values());
    assertArrayEquals(new byte[] {64, -127, 32, 127, 127, -127, 0, 64}, v);
  }

  @Test
  void zeroRowsStayZero() {
    Tensor t = Tensor.ofFloats(new float[] {0, 0, 0, 0, 1, -1}, 3, 2);
    SymmetricInt8.Quantized q = SymmetricInt8.quantizeRows(t);
    assertArrayEquals(new float[] {0, 0, 1f / 127}, q.scale().toFloats());
    assertArrayEquals(new float[] {0, 0, 0, 0, 1, -1}, SymmetricInt8.dequantize(q), 1e-7f);
  }

  @Test
  void refusesNonFiniteWeightsAndVectors() {
    assertThrows(
        IllegalArgumentException.class,
        () -> SymmetricInt8.quantizeRows(Tensor.ofFloats(new float[] {1, Float.NaN}, 1, 2)));
    assertThrows(
        IllegalArgumentException.class,
        () -> SymmetricInt8.quantizeRows(Tensor.ofFloats(new float[] {1, 2}, 2)));
  }

  @Test
  void quantizesLayerWeightsAndEmbeddingsButNotBiasesNormsOrHeads() {
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put("embeddings.word_embeddings.weight", randomMatrix(30, 8, 2));
    in.put("embeddings.position_embeddings.weight", randomMatrix(12, 8, 3));
    in.put("embeddings.token_type_embeddings.weight", randomMatrix(2, 8, 4));
    in.put("embeddings.LayerNorm.weight", Tensor.ofFloats(new float[8], 8));
    in.put("encoder.layer.0.attention.self.query.weight", randomMatrix(8, 8, 5));
    in.put("encoder.layer.0.attention.self.query.bias", Tensor.ofFloats(new float[8], 8));
    in.put("encoder.layer.11.output.dense.weight", randomMatrix(8, 32, 6));
    in.put("encoder.layer.0.output.LayerNorm.weight", Tensor.ofFloats(new float[8], 8));
    in.put("pooler.dense.weight", randomMatrix(8, 8, 7));
    in.put("classifier.weight", randomMatrix(2, 8, 8));

    Map<String, TensorLayout.Role> roles = new LinkedHashMap<>();
    for (String t : new String[] {"word", "position", "token_type"}) {
      roles.put("embeddings." + t + "_embeddings.weight", TensorLayout.Role.EMBEDDING_TABLE);
    }
    roles.put("encoder.layer.0.attention.self.query.weight", TensorLayout.Role.LINEAR_WEIGHT);
    roles.put("encoder.layer.11.output.dense.weight", TensorLayout.Role.LINEAR_WEIGHT);
    TensorLayout layout = new TensorLayout(roles);
    Map<String, Tensor> out = Quantizer.quantizeTensors(in, layout, true, Progress.NONE);
    for (String q :
        new String[] {
          "embeddings.word_embeddings.weight",
          "embeddings.position_embeddings.weight",
          "embeddings.token_type_embeddings.weight",
          "encoder.layer.0.attention.self.query.weight",
          "encoder.layer.11.output.dense.weight"
        }) {
      assertEquals("I8", out.get(q).dtype(), q);
      assertEquals(in.get(q).shape()[0], out.get(q + ".scale").shape()[0], q);
    }
    for (String kept :
        new String[] {
          "embeddings.LayerNorm.weight",
          "encoder.layer.0.attention.self.query.bias",
          "encoder.layer.0.output.LayerNorm.weight",
          "pooler.dense.weight",
          "classifier.weight"
        }) {
      assertSame(in.get(kept), out.get(kept), kept);
      assertFalse(out.containsKey(kept + ".scale"), kept);
    }
    assertEquals(in.size() + 5, out.size());

    Map<String, Tensor> keepEmb = Quantizer.quantizeTensors(in, layout, false, Progress.NONE);
    assertEquals("F32", keepEmb.get("embeddings.word_embeddings.weight").dtype());
    assertEquals("I8", keepEmb.get("encoder.layer.0.attention.self.query.weight").dtype());
  }

  @Test
  void quantizesByRoleAndSkipsAlreadyQuantizedTensors() {
    Tensor f = randomMatrix(4, 4, 9);
    assertTrue(Quantizer.shouldQuantize(f, TensorLayout.Role.LINEAR_WEIGHT, false));
    assertFalse(Quantizer.shouldQuantize(f, TensorLayout.Role.EMBEDDING_TABLE, false));
    assertTrue(Quantizer.shouldQuantize(f, TensorLayout.Role.EMBEDDING_TABLE, true));
    assertFalse(Quantizer.shouldQuantize(f, TensorLayout.Role.OTHER, true));
    Tensor i8 = new Tensor("I8", new long[] {4, 4}, ByteBuffer.allocate(16));
    assertFalse(Quantizer.shouldQuantize(i8, TensorLayout.Role.LINEAR_WEIGHT, true));
  }

  private static byte[] bytes(Tensor t) {
    byte[] b = new byte[t.data().remaining()];
    t.data().duplicate().get(b);
    return b;
  }
}
