package io.maaskit.it.dev;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.maaskit.it.TestModels;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.Pooling;
import io.maaskit.model.arch.TextEncoder;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.Progress;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.EmbeddingService;
import io.maaskit.tools.importer.OnnxGraph;
import io.maaskit.tools.quant.CalibrationSet;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Latency of one short input and throughput of a batch, MiniLM fp32 and int8, on PyTorch and on
 * ONNX Runtime, two intra-op threads each; and the op list of each graph as written and after ONNX
 * Runtime's optimizations (dumped with {@code setOptimizedModelFilePath}).
 *
 * <pre>
 * mvn -B -o verify -pl shared-model/it -am -Dtest=OrtBenchDev -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class OrtBenchDev {
  static final int THREADS = Integer.getInteger("bench.threads", 2);

  static LoadedModel load(Path dir, Engine e) throws Exception {
    LocalModelStore store = new LocalModelStore(dir.getParent().getParent());
    Path cache = Files.createDirectories(Path.of("target/dev-cache"));
    return new PackageLoader(store, new PackageCache(cache, 0), LoadMode.CACHE, e)
        .load(ModelPackage.read(dir))
        .model();
  }

  @Test
  void bench() throws Exception {
    Path fp32 = TestModels.miniLm();
    Path int8 = Path.of("target/dev/bench/store/all-minilm-l6-v2-int8/1").toAbsolutePath();
    EagerEngine pt = EagerEngine.start(new EngineOptions("pytorch", "cpu", THREADS, true));
    Engine ort = Engine.start(new EngineOptions("onnxruntime", "cpu", THREADS, true));
    if (!Files.exists(int8.resolve(ModelManifest.FILE))) {
      new Quantizer(pt).quantize(fp32, int8, QuantizeOptions.defaults(), Progress.NONE);
    }
    for (Path p : List.of(fp32, int8)) {
      ops(p);
    }
    String shortText = "The quick brown fox jumps over the lazy dog.";
    List<String> batch = CalibrationSet.heldOut().texts().subList(0, 64);
    System.out.printf(
        "BENCH MiniLM, %d threads; single = '%s' (%d tokens), batch = %d held-out inputs; load"
            + " average %.1f%n",
        THREADS,
        shortText,
        12,
        batch.size(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    for (Path p : List.of(fp32, int8)) {
      for (Engine e : List.of(pt, ort)) {
        try (LoadedModel m = load(p, e)) {
          TextEncoder enc = (TextEncoder) m;
          List<Tokens> one = List.of(enc.tokenize(shortText));
          Pooling pool = Pooling.of(m.manifest().pooling());
          for (int i = 0; i < 30; i++) {
            enc.encode(one, pool, true);
          }
          int n = 200;
          long[] t = new long[n];
          long[] cpu = new long[n];
          java.lang.management.ThreadMXBean mx =
              java.lang.management.ManagementFactory.getThreadMXBean();
          for (int i = 0; i < n; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            enc.encode(one, pool, true);
            t[i] = System.nanoTime() - t0;
            cpu[i] = mx.getCurrentThreadCpuTime() - c0;
          }
          Arrays.sort(t);
          Arrays.sort(cpu);
          EmbeddingService.embed(enc, batch, true);
          long b0 = System.nanoTime();
          int rounds = 2;
          for (int r = 0; r < rounds; r++) {
            EmbeddingService.embed(enc, batch, true);
          }
          double secs = (System.nanoTime() - b0) / 1e9;
          System.out.printf(
              "BENCH %-5s %-11s single p50 %.3f ms p90 %.3f ms (caller-thread CPU p50 %.3f ms)"
                  + " | batch %.1f inputs/s%n",
              m.manifest().dtype().equals("int8") ? "int8" : "fp32",
              e.name(),
              t[n / 2] / 1e6,
              t[n * 9 / 10] / 1e6,
              cpu[n / 2] / 1e6,
              rounds * batch.size() / secs);
        }
      }
    }
  }

  /** Op counts of the graph as compiled and after ONNX Runtime's ALL optimizations. */
  static void ops(Path dir) throws Exception {
    Path graph = dir.resolve(EncoderGraph.FILE);
    Path optimized =
        Path.of("target/dev").resolve(dir.getParent().getFileName() + "-optimized.onnx");
    Files.createDirectories(optimized.getParent());
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      o.setOptimizedModelFilePath(optimized.toString());
      o.setIntraOpNumThreads(THREADS);
      OrtEnvironment.getEnvironment().createSession(graph.toString(), o).close();
    }
    System.out.println("OPS " + dir.getParent().getFileName() + " compiled:  " + count(graph));
    System.out.println("OPS " + dir.getParent().getFileName() + " optimized: " + count(optimized));
  }

  static Map<String, Long> count(Path onnx) throws Exception {
    Map<String, Long> ops = new TreeMap<>();
    OnnxGraph.read(onnx).nodes().forEach(n -> ops.merge(n.op(), 1L, Long::sum));
    return ops;
  }
}
