package io.maaskit.tools.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.maaskit.tools.onnx.OnnxGraphBuilder;
import io.maaskit.tools.onnx.decoder.Linears.Role;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A mixed int4 precision: which layer linears stay int8 (a role in every layer, or in one layer),
 * what the emitted graph notes for each matrix, and the scheme the manifest records.
 */
class LinearPrecisionTest {
  @Test
  void aRoleOrOneLayerOfItKeepsItsOwnBits() {
    LinearPrecision p =
        LinearPrecision.uniformInt4().withLinearBits("down", 8).withLinearBits("qkv.1", 8);
    assertEquals(8, p.bits(Role.DOWN, 0));
    assertEquals(8, p.bits(Role.DOWN, 5));
    assertEquals(4, p.bits(Role.QKV, 0));
    assertEquals(8, p.bits(Role.QKV, 1));
    assertEquals(4, p.bits(Role.O, 1));
    // the layer's own selector wins over its role's
    assertEquals(4, p.withLinearBits("down.2", 4).bits(Role.DOWN, 2));
    assertEquals("int4-block32-asymmetric-mse-head-int8-down-int8-qkv.1-int8", p.scheme());
    assertEquals("int4", p.dtype());
  }

  @Test
  void badSelectorsAndWidthsAreRefused() {
    LinearPrecision p = LinearPrecision.uniformInt4();
    assertThrows(IllegalArgumentException.class, () -> p.withLinearBits("gate", 8));
    assertThrows(IllegalArgumentException.class, () -> p.withLinearBits("down.x", 8));
    assertThrows(IllegalArgumentException.class, () -> p.withLinearBits("down", 5));
    assertThrows(
        IllegalArgumentException.class, () -> LinearPrecision.FLOAT32.withLinearBits("down", 8));
  }

  @Test
  void theGraphNotesEachMatrixAtItsBits() {
    OnnxGraphBuilder g = new OnnxGraphBuilder("t");
    Linears linears = new Linears(g, LinearPrecision.uniformInt4().withLinearBits("down.0", 8));
    Random r = new Random(1);
    for (int layer = 0; layer < 2; layer++) {
      for (Role role : Role.values()) {
        float[] w = new float[32 * 64];
        for (int i = 0; i < w.length; i++) {
          w[i] = (float) r.nextGaussian();
        }
        linears.apply(
            "x", new Linears.Weight(role.label() + "." + layer, 32, 64, w, null), role, layer);
      }
    }
    linears.table("tokens", 16, 64, new float[16 * 64]);
    Map<String, Integer> expected = new LinkedHashMap<>();
    for (int layer = 0; layer < 2; layer++) {
      for (Role role : Role.values()) {
        expected.put(role.label() + "." + layer, role == Role.DOWN && layer == 0 ? 8 : 4);
      }
    }
    expected.put("tokens", 8);
    assertEquals(expected, g.linearBits());
  }
}
