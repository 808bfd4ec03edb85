package io.maaskit.tools.onnx.bert;

import static io.maaskit.tools.onnx.OnnxGraphBuilder.FLOAT;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.engine.CompiledGraph;
import io.maaskit.model.engine.CompiledGraph.LongTensor;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.store.Progress;
import io.maaskit.model.task.internal.Batching;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.Int8Calibrator;
import io.maaskit.tools.onnx.Int8Plan;
import io.maaskit.tools.onnx.OnnxGraphBuilder;
import io.maaskit.tools.onnx.OnnxGraphBuilder.Attr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Calibrates the int8 graph of a {@code bert} package in two passes, each a float32 graph of the
 * source package with a probe on every linear layer, run in the same length-bucketed sub-batches
 * the server runs (so padding counts as it will when serving):
 *
 * <ol>
 *   <li>ranges, over every calibration input: the minimum and maximum of each input channel of each
 *       layer, and the graph's float32 vectors (the gate's reference);
 *   <li>errors, over {@link #ERROR_INPUTS} of them: for each layer, on its float32 input, the
 *       output of the dynamic int8 kernel ({@code DynamicQuantizeMatMul}) unsmoothed and smoothed
 *       with each α in {@link #ALPHAS}, and of the blockwise kernel ({@code MatMulNBits}), each on
 *       the int8 weights the package stores (smoothed ones quantized again as the compiler will),
 *       against the float32 {@code MatMul}: {@code ‖Δy‖² / ‖y‖²} per sub-batch, the worst
 *       sub-batch's kept.
 * </ol>
 *
 * <p>Each layer gets the smoothing with the lowest dynamic error. Errors are per layer with exact
 * float32 inputs, so they rank layers; whether their sum keeps every output within the gate is for
 * the gate to say, on the whole int8 graph.
 */
final class BertInt8Calibrator implements Int8Calibrator {
  /**
   * SmoothQuant migration strengths tried per layer, each with the input centred (besides neither);
   * 0 centres without scaling.
   */
  static final double[] ALPHAS = {0, 0.5, 0.65, 0.8};

  /**
   * Inputs of the error pass, spread evenly over the calibration inputs by length. The error pass
   * runs every layer seven ways (float32, the dynamic kernel five ways, the blockwise kernel), so
   * it costs several forward passes per input; its errors only pick each layer's smoothing and rank
   * the layers, while the ranges (which need every input, for the rare outlier) and the gate see
   * the whole set. On all-MiniLM-L6-v2, bge-small-en-v1.5 and e5-small-v2 the gate's decisions
   * measured the same with this many error inputs as with all of them (see docs/performance.md).
   */
  static final int ERROR_INPUTS = 32;

  @Override
  public Calibration calibrate(
      ModelManifest source,
      Architecture.PackageFiles files,
      TextEncoder reference,
      Engine engine,
      List<String> texts,
      Progress progress)
      throws IOException {
    // 1. per-channel input ranges
    Map<String, Linear> layers = new LinkedHashMap<>();
    Map<String, float[]> highs = new HashMap<>();
    Map<String, float[]> lows = new HashMap<>();
    List<String> rangeOutputs = new ArrayList<>();
    float[][] float32 =
        run(
            source,
            files,
            rangeOutputs,
            (g, x, l, mm) -> {
              layers.put(l.name(), l);
              for (String op : List.of("ReduceMax", "ReduceMin")) {
                String out = "calibration/" + l.name() + "/" + op;
                g.op(op, List.of(x), out, Attr.ints("axes", 0, 1), Attr.i("keepdims", 0));
                g.output(out, FLOAT, (long) l.in());
                rangeOutputs.add(out);
              }
            },
            reference,
            engine,
            texts,
            outputs -> {
              for (Map.Entry<String, CompiledGraph.FloatTensor> e : outputs.entrySet()) {
                String key = e.getKey();
                boolean max = key.endsWith("/ReduceMax");
                String name = key.substring("calibration/".length(), key.lastIndexOf('/'));
                float[] v = e.getValue().data();
                float[] m =
                    (max ? highs : lows)
                        .computeIfAbsent(
                            name,
                            k -> {
                              float[] init = new float[v.length];
                              java.util.Arrays.fill(
                                  init, max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
                              return init;
                            });
                for (int i = 0; i < v.length; i++) {
                  m[i] = max ? Math.max(m[i], v[i]) : Math.min(m[i], v[i]);
                }
              }
            },
            "calibration: input ranges",
            progress);

    // 2. per-layer output errors of each candidate: unsmoothed, centred only, centred + each α
    Map<String, float[][]> factors = new HashMap<>();
    Map<String, float[]> shifts = new HashMap<>();
    for (Linear l : layers.values()) {
      float[] hi = highs.get(l.name());
      float[] lo = lows.get(l.name());
      float[] z = new float[l.in()];
      float[] half = new float[l.in()];
      for (int k = 0; k < z.length; k++) {
        z[k] = (hi[k] + lo[k]) / 2;
        half[k] = (hi[k] - lo[k]) / 2;
      }
      float[] wMax = l.columnAbsMax();
      float[][] s = new float[ALPHAS.length][];
      for (int a = 0; a < ALPHAS.length; a++) {
        s[a] = factors(half, wMax, ALPHAS[a]);
      }
      factors.put(l.name(), s);
      shifts.put(l.name(), z);
    }
    Map<String, double[]> sums = new HashMap<>(); // per layer and candidate: worst ‖Δy‖²/‖y‖²
    int variants = ALPHAS.length + 3; // unsmoothed, each α, blockwise, |y|²
    List<String> errorOutputs = new ArrayList<>();
    run(
        source,
        files,
        errorOutputs,
        (g, x, l, mm) -> {
          Linear q = l.quantized().withoutBias();
          float[][] s = factors.get(l.name());
          float[] z = shifts.get(l.name());
          for (int v = 0; v <= ALPHAS.length; v++) {
            String in = x;
            Linear lv = q.renamed(l.name() + "/a" + v);
            String bias = "";
            if (v > 0) {
              in = BertGraphCompiler.smoothInput(g, x, lv.name(), s[v - 1], z);
              lv = BertGraphCompiler.smoothedLayer(lv, s[v - 1], z);
              bias = g.floats(lv.name() + ".bias", lv.bias(), lv.out());
            }
            errorOutputs.add(
                error(g, BertGraphCompiler.dynamic(g, in, lv, bias), mm, l.name() + "/e" + v));
          }
          String b =
              BertGraphCompiler.blockwise(
                  g, x, q.renamed(l.name() + "/b"), "", CompileOptions.DEFAULT_BLOCK_SIZE);
          errorOutputs.add(error(g, b, mm, l.name() + "/e" + (ALPHAS.length + 1)));
          String norm = "calibration/" + l.name() + "/e" + (ALPHAS.length + 2);
          g.op("ReduceSumSquare", List.of(mm), norm, Attr.i("keepdims", 0));
          g.output(norm, FLOAT);
          errorOutputs.add(norm);
        },
        reference,
        engine,
        spread(texts, ERROR_INPUTS),
        outputs -> {
          Map<String, double[]> batch = new HashMap<>();
          for (Map.Entry<String, CompiledGraph.FloatTensor> e : outputs.entrySet()) {
            String key = e.getKey();
            int at = key.lastIndexOf("/e");
            String name = key.substring("calibration/".length(), at);
            int v = Integer.parseInt(key.substring(at + 2));
            batch.computeIfAbsent(name, k -> new double[variants])[v] = e.getValue().data()[0];
          }
          // The gate judges the worst input, so a layer is judged by its worst sub-batch.
          for (Map.Entry<String, double[]> e : batch.entrySet()) {
            double[] b = e.getValue();
            double[] w = sums.computeIfAbsent(e.getKey(), k -> new double[variants]);
            double norm = Math.max(b[variants - 1], Double.MIN_NORMAL);
            for (int v = 0; v < variants - 1; v++) {
              w[v] = Math.max(w[v], b[v] / norm);
            }
          }
        },
        "calibration: int8 kernel errors per layer",
        progress);

    List<Int8Plan.Choice> choices = new ArrayList<>();
    for (Linear l : layers.values()) {
      double[] sum = sums.get(l.name());
      int best = 0;
      for (int v = 1; v <= ALPHAS.length; v++) {
        if (sum[v] < sum[best]) {
          best = v;
        }
      }
      choices.add(
          new Int8Plan.Choice(
              l.name(),
              CompileOptions.Int8Kernel.DYNAMIC,
              best == 0 ? null : ALPHAS[best - 1],
              best == 0 ? null : factors.get(l.name())[best - 1],
              best == 0 ? null : shifts.get(l.name()),
              Math.sqrt(sum[best]),
              Math.sqrt(sum[ALPHAS.length + 1])));
    }
    return new Calibration(new Int8Plan(choices), float32);
  }

  /**
   * SmoothQuant's {@code s_k = h_k^α / max|W_·k|^(1-α)} for channel half-ranges {@code h}; 1 where
   * a channel or column is all zeros (so nothing is divided by zero), and 1 for α = 0.
   */
  static float[] factors(float[] xMax, float[] wMax, double alpha) {
    float[] s = new float[xMax.length];
    if (alpha == 0) {
      java.util.Arrays.fill(s, 1f);
      return s;
    }
    for (int k = 0; k < s.length; k++) {
      double v = Math.pow(xMax[k], alpha) / Math.pow(wMax[k], 1 - alpha);
      s[k] = xMax[k] > 0 && wMax[k] > 0 && Double.isFinite(v) ? (float) Math.max(v, 1e-5) : 1f;
    }
    return s;
  }

  static float[] inverse(float[] s) {
    float[] inv = new float[s.length];
    for (int k = 0; k < s.length; k++) {
      inv[k] = 1f / s[k];
    }
    return inv;
  }

  /**
   * At most {@code n} of {@code texts}, evenly spaced in order of length (shortest and longest
   * kept), so every length bucket the server batches is represented.
   */
  static List<String> spread(List<String> texts, int n) {
    if (texts.size() <= n) {
      return texts;
    }
    List<String> byLength = new ArrayList<>(texts);
    byLength.sort(java.util.Comparator.comparingInt(String::length));
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(byLength.get((int) ((long) i * (byLength.size() - 1) / (n - 1))));
    }
    return out;
  }

  /** Output {@code calibration/<key>}: ‖y − reference‖²; returns its name. */
  private static String error(OnnxGraphBuilder g, String y, String reference, String key) {
    String out = "calibration/" + key;
    g.op(
        "ReduceSumSquare", List.of(g.op("Sub", List.of(y, reference))), out, Attr.i("keepdims", 0));
    g.output(out, FLOAT);
    return out;
  }

  /**
   * Builds the probe graph, opens it on {@code engine} and runs every calibration sub-batch;
   * returns the graph's pooled float32 vectors, in input order.
   */
  private static float[][] run(
      ModelManifest source,
      Architecture.PackageFiles files,
      List<String> outputs,
      BertGraphCompiler.Probe probe,
      TextEncoder reference,
      Engine engine,
      List<String> texts,
      Consumer<Map<String, CompiledGraph.FloatTensor>> sink,
      String what,
      Progress progress)
      throws IOException {
    progress.update(what + ": building the probe graph", -1, -1);
    OnnxGraphBuilder g = new OnnxGraphBuilder(source.name() + "-calibration");
    BertGraphCompiler.build(source, files, probe, g);
    Path tmp = Files.createTempFile("maaskit-calibration-", ".onnx");
    try {
      progress.update(what + ": writing the probe graph", -1, -1);
      g.write(tmp, "calibration");
      ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(tmp));
      Set<String> wanted = new HashSet<>(outputs);
      wanted.add(EncoderGraph.POOLED);
      int[] done = {0};
      progress.update(what + ": opening the probe graph", -1, -1);
      try (CompiledGraph graph = engine.openGraph(bytes, source.name() + "-calibration")) {
        return Batching.run(
                reference,
                texts,
                batch -> {
                  Map<String, CompiledGraph.FloatTensor> out =
                      new HashMap<>(graph.run(inputs(batch), wanted));
                  float[][] pooled = out.remove(EncoderGraph.POOLED).rows();
                  sink.accept(out);
                  done[0] += batch.size();
                  progress.update(what, done[0], texts.size());
                  return pooled;
                })
            .rows();
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The graph's inputs for a sub-batch, padded to its longest input (as the server does). */
  private static Map<String, LongTensor> inputs(List<Tokens> batch) {
    int b = batch.size();
    int len = batch.stream().mapToInt(Tokens::length).max().orElse(0);
    long[] ids = new long[b * len];
    long[] mask = new long[b * len];
    long[] types = new long[b * len];
    for (int i = 0; i < b; i++) {
      Tokens t = batch.get(i);
      for (int j = 0; j < t.length(); j++) {
        ids[i * len + j] = t.ids()[j];
        mask[i * len + j] = 1;
        types[i * len + j] = t.typeIds()[j];
      }
    }
    return Map.of(
        EncoderGraph.INPUT_IDS, new LongTensor(ids, b, len),
        EncoderGraph.ATTENTION_MASK, new LongTensor(mask, b, len),
        EncoderGraph.TOKEN_TYPE_IDS, new LongTensor(types, b, len));
  }
}
