package io.maaskit.tools.onnx.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.maaskit.tools.onnx.OnnxGraphBuilder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One {@code MatMulNBits} node on ONNX Runtime against plain-Java arithmetic: the packed weights
 * are read back by this test's own decoding of the documented layout ({@code [N, kBlocks, blob]},
 * low nibble first, default zero point {@code 2^(bits-1)}, scales {@code [N * kBlocks]}), and the
 * node's output must equal {@code x @ dequantized^T + bias} to float precision at accuracy level 0,
 * within int8 activation rounding at level 4 (the only level ONNX Runtime 1.22 runs 8 bits at), and
 * stay within the quantization step of the float weights. K = 80 is not a multiple of the block, so
 * the padded tail is covered.
 */
class LinearsTest {
  private static final int N = 48;
  private static final int K = 80;
  private static final int ROWS = 3;

  @TempDir Path tmp;

  /**
   * The kit's engine first: it creates ONNX Runtime's one environment with its thread pool, which a
   * bare {@code getEnvironment()} would otherwise pre-empt for every later test in this JVM.
   */
  @org.junit.jupiter.api.BeforeAll
  static void engine() {
    io.maaskit.model.engine.Engine.start(
        new io.maaskit.model.engine.EngineOptions("onnxruntime", "cpu", 0, true));
  }

  @ParameterizedTest
  @CsvSource({"8, 32, 4", "4, 32, 0", "4, 32, 4", "4, 16, 0", "8, 64, 4", "4, 128, 4"})
  void matMulNBitsComputesTheDequantizedProduct(int bits, int block, int accuracy)
      throws Exception {
    Random r = new Random(bits * 1000 + block + accuracy);
    float[] w = gaussian(r, N * K, 0.2f);
    w[5] = 1.5f; // an outlier widens one block's step
    float[] bias = gaussian(r, N, 0.1f);
    float[] x = gaussian(r, ROWS * K, 1f);
    LinearPrecision p = new LinearPrecision(bits, block, accuracy, bits);
    OnnxGraphBuilder g = new OnnxGraphBuilder("linear");
    g.input("x", OnnxGraphBuilder.FLOAT, "rows", (long) K);
    String y = new Linears(g, p).apply("x", new Linears.Weight("w", N, K, w, bias));
    g.op("Identity", java.util.List.of(y), "y");
    g.output("y", OnnxGraphBuilder.FLOAT, "rows", (long) N);
    float[] got = run(g, Map.of("x", x), new long[] {ROWS, K});

    BlockQuantized q = BlockQuantized.quantize(w, N, K, bits, block);
    float[] deq = decode(q.packed(), q.scales(), bits, block);
    double stepBound = 0;
    for (int n = 0; n < N; n++) {
      for (int k = 0; k < K; k++) {
        double err = Math.abs(deq[n * K + k] - w[n * K + k]);
        double half = q.scales()[n * q.kBlocks() + k / block] / 2 + 1e-7;
        assertTrue(err <= half, "weight [" + n + "," + k + "] off by " + err + " > half a step");
      }
    }
    double worst = 0;
    double scale = 0;
    for (int i = 0; i < ROWS; i++) {
      for (int n = 0; n < N; n++) {
        double want = bias[n];
        double exact = bias[n];
        for (int k = 0; k < K; k++) {
          want += (double) x[i * K + k] * deq[n * K + k];
          exact += (double) x[i * K + k] * w[n * K + k];
        }
        worst = Math.max(worst, Math.abs(got[i * N + n] - want));
        scale = Math.max(scale, Math.abs(want));
        stepBound = Math.max(stepBound, Math.abs(exact - want));
      }
    }
    double tolerance = p.accuracyLevel(bits) == 4 ? 0.02 * scale : 1e-4 * scale;
    System.out.printf(
        "MatMulNBits bits %d block %d accuracy %d: worst |ORT - Java| %.2e (max |y| %.2f), weight rounding moves y by up to %.2e%n",
        bits, block, accuracy, worst, scale, stepBound);
    assertTrue(worst <= tolerance, "ORT differs from the dequantized product by " + worst);
  }

  @ParameterizedTest
  @CsvSource({"32", "8"})
  void aTableIsLookedUpAndIsTheTiedHead(int headBits) throws Exception {
    Random r = new Random(7);
    int vocab = 40;
    int width = 48; // not a multiple of 32: the lookup slices the padded tail off
    float[] t = gaussian(r, vocab * width, 0.5f);
    LinearPrecision p =
        headBits == 32 ? LinearPrecision.FLOAT32 : new LinearPrecision(4, 32, 0, headBits);
    OnnxGraphBuilder g = new OnnxGraphBuilder("table");
    g.input("ids", OnnxGraphBuilder.INT64, "batch", "sequence");
    Linears.Table table = new Linears(g, p).table("wte", vocab, width, t);
    String rows = table.gather("ids");
    g.op("Identity", java.util.List.of(rows), "rows");
    String last =
        g.op(
            "Gather",
            java.util.List.of(rows, g.vector(1)),
            io.maaskit.tools.onnx.OnnxGraphBuilder.Attr.i("axis", 1));
    String flat = g.op("Reshape", java.util.List.of(last, g.vector(-1, width)));
    g.op("Identity", java.util.List.of(table.head(flat)), "logits");
    g.output("rows", OnnxGraphBuilder.FLOAT, "batch", "sequence", (long) width);
    g.output("logits", OnnxGraphBuilder.FLOAT, "batch", (long) vocab);
    long[] ids = {3, 17, 39, 0};
    Path file = tmp.resolve("table.onnx");
    g.write(file, "test");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s =
            env.createSession(Files.readAllBytes(file), new OrtSession.SessionOptions());
        OnnxTensor in = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {2, 2});
        OrtSession.Result out = s.run(Map.of("ids", in))) {
      float[][][] got = (float[][][]) out.get("rows").get().getValue();
      float[][] logits = (float[][]) out.get("logits").get().getValue();
      double step = 0;
      for (int i = 0; i < ids.length; i++) {
        for (int c = 0; c < width; c++) {
          float want = t[(int) ids[i] * width + c];
          float have = got[i / 2][i % 2][c];
          double err = Math.abs(want - have);
          step = Math.max(step, err);
          assertTrue(
              headBits == 32 ? err == 0 : err <= 0.5 * 0.5 * 4 / 127 + 1e-6,
              "row " + ids[i] + " column " + c + ": " + have + " vs " + want);
        }
      }
      for (int b = 0; b < 2; b++) {
        int id = (int) ids[b * 2 + 1];
        for (int v = 0; v < vocab; v++) {
          double dot = 0;
          for (int c = 0; c < width; c++) {
            dot += (double) got[b][1][c] * t[v * width + c];
          }
          assertEquals(dot, logits[b][v], 0.05, "logit " + v + " of row " + id);
        }
      }
      System.out.printf("table head bits %d: worst lookup error %.2e%n", headBits, step);
    }
  }

  /** MatMulNBits' documented layout, decoded independently of {@link BlockQuantized}. */
  private static float[] decode(byte[] packed, float[] scales, int bits, int block) {
    int kBlocks = (K + block - 1) / block;
    int blob = block * bits / 8;
    float[] out = new float[N * K];
    for (int n = 0; n < N; n++) {
      for (int k = 0; k < K; k++) {
        int b = k / block;
        int j = k % block;
        int base = n * kBlocks * blob + b * blob;
        int v;
        if (bits == 8) {
          v = (packed[base + j] & 0xFF) - 128;
        } else {
          int byt = packed[base + j / 2] & 0xFF;
          v = ((j % 2 == 0) ? (byt & 0xF) : (byt >> 4)) - 8;
        }
        out[n * K + k] = v * scales[n * kBlocks + b];
      }
    }
    return out;
  }

  private float[] run(OnnxGraphBuilder g, Map<String, float[]> inputs, long[] shape)
      throws Exception {
    Path file = tmp.resolve("g.onnx");
    g.write(file, "test");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s =
            env.createSession(Files.readAllBytes(file), new OrtSession.SessionOptions());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(inputs.get("x")), shape);
        OrtSession.Result out = s.run(Map.of("x", in))) {
      FloatBuffer b = ((OnnxTensor) out.get(0)).getFloatBuffer();
      float[] f = new float[b.remaining()];
      b.get(f);
      return f;
    }
  }

  private static float[] gaussian(Random r, int n, float sd) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (float) (r.nextGaussian() * sd);
    }
    return f;
  }
}
