package io.maaskit.it.dev;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.maaskit.it.TestModels;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.OnnxCompiler;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Raw {@code session.run} latency of MiniLM int8 graphs, one input, 2 intra-op threads, in
 * alternating rounds: the kit's graph compiled with each int8 kernel, and LangChain4j's quantized
 * export. {@code -Ddev.int8=<package dir>} names an int8 package to compile.
 */
class OrtLatencyDev {
  @Test
  void latency() throws Exception {
    Path pkg = Path.of(System.getProperty("dev.int8"));
    Map<String, Path> graphs = new java.util.LinkedHashMap<>();
    for (CompileOptions.Int8Kernel k :
        List.of(CompileOptions.Int8Kernel.DYNAMIC, CompileOptions.Int8Kernel.BLOCKWISE)) {
      Path copy = Path.of("target/dev/latency-" + k).toAbsolutePath();
      if (!Files.exists(copy)) {
        Files.createDirectories(copy);
        try (Stream<Path> s = Files.list(pkg)) {
          for (Path f : s.toList()) {
            Files.copy(f, copy.resolve(f.getFileName()));
          }
        }
        OnnxCompiler.compile(copy, new CompileOptions(k, 32), Progress.NONE);
      }
      graphs.put(k.name().toLowerCase(), copy.resolve(EncoderGraph.FILE));
    }
    graphs.put("langchain4j-q", TestModels.resource("all-minilm-l6-v2-q.onnx"));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OrtSession> sessions = new java.util.LinkedHashMap<>();
    for (var e : graphs.entrySet()) {
      OrtSession.SessionOptions o = new OrtSession.SessionOptions();
      o.setIntraOpNumThreads(2);
      o.setInterOpNumThreads(1);
      o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      sessions.put(e.getKey(), env.createSession(e.getValue().toString(), o));
      System.out.println(
          "LAT inputs of " + e.getKey() + ": " + sessions.get(e.getKey()).getInputNames());
    }
    int rounds = Integer.getInteger("dev.rounds", 7);
    for (int len : new int[] {12, 112}) {
      long[] ids = new long[len];
      for (int i = 0; i < len; i++) {
        ids[i] = i == 0 ? 101 : i == len - 1 ? 102 : 1000 + (i * 37) % 20000;
      }
      long[] ones = new long[len];
      Arrays.fill(ones, 1);
      long[] zeros = new long[len];
      Map<String, double[]> p50 = new HashMap<>();
      for (String k : sessions.keySet()) {
        p50.put(k, new double[rounds]);
      }
      for (int r = 0; r < rounds; r++) {
        List<String> order = new ArrayList<>(sessions.keySet());
        if (r % 2 == 1) {
          java.util.Collections.reverse(order);
        }
        for (String k : order) {
          OrtSession s = sessions.get(k);
          Map<String, OnnxTensor> in = new HashMap<>();
          for (String name : s.getInputNames()) {
            long[] v =
                name.equals("input_ids") ? ids : name.equals("attention_mask") ? ones : zeros;
            in.put(name, OnnxTensor.createTensor(env, LongBuffer.wrap(v), new long[] {1, len}));
          }
          for (int i = 0; i < 20; i++) {
            s.run(in).close();
          }
          double[] t = new double[100];
          for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            s.run(in).close();
            t[i] = (System.nanoTime() - t0) / 1e6;
          }
          Arrays.sort(t);
          p50.get(k)[r] = t[50];
          in.values().forEach(OnnxTensor::close);
        }
      }
      for (String k : sessions.keySet()) {
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          ratio[r] = p50.get(k)[r] / p50.get("langchain4j-q")[r];
        }
        Arrays.sort(ratio);
        double[] v = p50.get(k).clone();
        Arrays.sort(v);
        System.out.printf(
            "LAT %d tokens %-14s p50 %.3f ms, / langchain4j-q median %.3f [%.3f..%.3f]%n",
            len, k, v[rounds / 2], ratio[rounds / 2], ratio[0], ratio[rounds - 1]);
      }
    }
  }
}
