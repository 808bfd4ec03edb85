package io.maaskit.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The embeddings comparison as interleaved, paired trials ({@link PairedTrials}): the kit on ONNX
 * Runtime and LangChain4j, same dtype, both loaded in this one process, measured alternately for
 * several rounds. Per dtype and figure, each round measures: single-input latency p50 (short and
 * long input) and batch-256 throughput (inputs/s). Ratios are maaskit / LangChain4j per round; the
 * report quotes their median and quartiles.
 *
 * <pre>
 * java -cp ... io.maaskit.bench.EmbeddingPairs --dtypes fp32,int8 --rounds 9 --out paired.json
 * </pre>
 *
 * The store, package names and threads come from the same system properties as the JMH benches
 * ({@code maas.bench.store}, {@code maas.bench.model.<dtype>}, {@code maas.bench.threads}).
 */
public final class EmbeddingPairs {
  private EmbeddingPairs() {}

  public static void main(String[] args) throws Exception {
    List<String> dtypes = List.of("fp32", "int8");
    int rounds = 9;
    int calls = 200;
    int batches = 3;
    int batchSize = Corpus.MAX_BATCH;
    Path out = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--dtypes" -> dtypes = List.of(args[++i].split(","));
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--calls" -> calls = Integer.parseInt(args[++i]);
        case "--batches" -> batches = Integer.parseInt(args[++i]);
        case "--batch-size" -> batchSize = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println(
              "usage: EmbeddingPairs [--dtypes fp32,int8] [--rounds N] [--calls N] [--batches N]"
                  + " [--batch-size N] --out FILE");
          System.exit(args[i].equals("--help") ? 0 : 2);
        }
      }
    }
    if (out == null) {
      throw new IllegalArgumentException("--out is required");
    }
    PairedTrials trials = new PairedTrials(rounds);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("threads", Subject.threads());
    result.put("rounds", rounds);
    result.put("latency_calls_per_round", calls);
    result.put("batches_per_round", batches);
    result.put("batch_size", batchSize);
    List<String> batch = Corpus.batch(batchSize);
    int perRound = calls;
    int batchesPerRound = batches;
    for (String dtype : dtypes) {
      try (Subject ours = Subject.open("maaskit", dtype);
          Subject peer = Subject.open("langchain4j", dtype)) {
        Map<String, Object> figures = new LinkedHashMap<>();
        for (String length : List.of("short", "long")) {
          String text = Corpus.single(length);
          PairedTrials.Result r =
              trials.run(
                  "maaskit",
                  () -> PairedTrials.latencyMs(() -> ours.embedOne(text), 20, perRound, 0.5),
                  "langchain4j",
                  () -> PairedTrials.latencyMs(() -> peer.embedOne(text), 20, perRound, 0.5));
          figures.put("latency_p50_ms_" + length, r.toMap());
          log(dtype, "latency p50 " + length, r, "ms");
        }
        PairedTrials.Result t =
            trials.run(
                "maaskit",
                () -> inputsPerSecond(ours, batch, batchesPerRound),
                "langchain4j",
                () -> inputsPerSecond(peer, batch, batchesPerRound));
        // The report reads batch256; a smoke run with another size says so in its own key.
        String key = batchSize == 256 ? "batch256" : "batch" + batchSize;
        figures.put("throughput_inputs_per_s_" + key, t.toMap());
        log(dtype, key + " throughput", t, "inputs/s");
        result.put(dtype, figures);
      }
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
  }

  /** Inputs per second over {@code n} calls of the whole batch (after one unmeasured call). */
  static double inputsPerSecond(Subject s, List<String> batch, int n) {
    s.embed(batch);
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      s.embed(batch);
    }
    return n * batch.size() / ((System.nanoTime() - t0) / 1e9);
  }

  private static void log(String dtype, String what, PairedTrials.Result r, String unit) {
    System.err.printf(
        "[bench] paired %s %s: maaskit %.3f %s, langchain4j %.3f %s, ratio median %.3f"
            + " (quartiles %.3f..%.3f, range %.3f..%.3f, %d rounds)%n",
        dtype,
        what,
        r.medianA(),
        unit,
        r.medianB(),
        unit,
        r.medianRatio(),
        r.q1Ratio(),
        r.q3Ratio(),
        r.minRatio(),
        r.maxRatio(),
        r.ratios().length);
  }
}
