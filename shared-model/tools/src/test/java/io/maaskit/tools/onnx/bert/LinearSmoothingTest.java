package io.maaskit.tools.onnx.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The algebra the int8 plan relies on, checked in double precision against the layer as stored: a
 * smoothed, centred layer on the transformed input gives the original layer's output, and folding
 * the transform into V's rows does the same for the attention output's input.
 */
class LinearSmoothingTest {
  static final int OUT = 6;
  static final int IN = 5;

  static Linear layer(long seed) {
    Random r = new Random(seed);
    float[] w = new float[OUT * IN];
    float[] b = new float[OUT];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) r.nextGaussian();
    }
    return new Linear("l", OUT, IN, w, null, 0, null, null, b);
  }

  /** y = x Wᵀ + b in double precision, from the layer's float weights. */
  static double[] apply(Linear l, double[] x) {
    float[] w = l.dequantized();
    double[] y = new double[l.out()];
    for (int o = 0; o < l.out(); o++) {
      double acc = l.bias()[o];
      for (int k = 0; k < l.in(); k++) {
        acc += w[o * l.in() + k] * x[k];
      }
      y[o] = acc;
    }
    return y;
  }

  @Test
  void smoothedCentredLayerOnTheTransformedInputGivesTheSameOutput() {
    Linear l = layer(1);
    float[] s = {0.5f, 2f, 8f, 1f, 0.125f};
    float[] z = {3f, -1f, 40f, 0f, 0.5f};
    double[] x = {1.5, -2, 37, 0.25, 4};
    double[] xt = new double[IN];
    for (int k = 0; k < IN; k++) {
      xt[k] = (x[k] - z[k]) / s[k];
    }
    Linear t = BertGraphCompiler.smoothedLayer(l, s, z);
    assertArrayEquals(apply(l, x), apply(t, xt), 1e-4);
  }

  @Test
  void int8SmoothingRequantizesRowsSymmetrically() {
    Linear q = layer(2).quantized();
    float[] s = {4f, 1f, 1f, 0.25f, 1f};
    Linear t = q.smoothed(s);
    assertTrue(t.isQuantized());
    for (int o = 0; o < OUT; o++) {
      int max = 0;
      for (int k = 0; k < IN; k++) {
        max = Math.max(max, Math.abs(t.q()[o * IN + k]));
      }
      assertEquals(127, max, "row " + o + " uses the full int8 range");
    }
    // Within half a step of the exactly scaled weights, row by row.
    float[] exact = q.dequantized();
    float[] got = t.dequantized();
    for (int o = 0; o < OUT; o++) {
      for (int k = 0; k < IN; k++) {
        assertEquals(exact[o * IN + k] * s[k], got[o * IN + k], t.scales()[o] / 2 + 1e-6);
      }
    }
  }

  /** What BertGraphCompiler does to fold the attention output's transform into V. */
  @Test
  void centringAndScalingVsRowsIsTheSameAsTransformingTheContext() {
    Linear v = layer(3);
    float[] s = {2f, 0.5f, 4f, 1f, 3f, 0.25f};
    float[] z = {1f, -2f, 0.5f, 0f, 7f, -3f};
    float[] minusZ = new float[OUT];
    for (int k = 0; k < OUT; k++) {
      minusZ[k] = -z[k];
    }
    Linear folded = v.biasAdded(0, minusZ).rowsScaled(0, BertInt8Calibrator.inverse(s));
    double[] x = {0.3, -1.2, 2.5, 0.7, -0.1};
    double[] ctx = apply(v, x);
    double[] got = apply(folded, x);
    for (int k = 0; k < OUT; k++) {
      assertEquals((ctx[k] - z[k]) / s[k], got[k], 1e-5);
    }
  }

  @Test
  void factorsFollowSmoothQuantAndStayFinite() {
    float[] s =
        BertInt8Calibrator.factors(new float[] {16f, 0f, 1f}, new float[] {1f, 2f, 0f}, 0.5);
    assertEquals(4f, s[0], 1e-6); // 16^0.5 / 1^0.5
    assertEquals(1f, s[1]); // a channel that is always zero is left alone
    assertEquals(1f, s[2]); // so is a column of zeros
    assertArrayEquals(
        new float[] {1f, 1f},
        BertInt8Calibrator.factors(new float[] {5f, 7f}, new float[] {1f, 2f}, 0));
  }
}
