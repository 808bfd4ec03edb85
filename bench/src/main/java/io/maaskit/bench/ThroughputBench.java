package io.maaskit.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Batch throughput: one call embeds {@code batch} inputs of the corpus (identical texts for both
 * sides); the report multiplies calls/s by the batch size to get inputs/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ThroughputBench {
  @Param({"maaskit", "maaskit-pytorch", "langchain4j"})
  public String impl;

  @Param({"fp32", "int8"})
  public String dtype;

  @Param({"32", "256"})
  public int batch;

  private Subject subject;
  private List<String> texts;

  private Contention contention;
  private long waitedMillis;

  @Setup(Level.Trial)
  public void setUp() {
    subject = Subject.open(impl, dtype);
    texts = Corpus.batch(batch);
    waitedMillis = Contention.awaitQuiet(Contention.QUIET_CORES, Contention.quietWaitMillis());
    contention = Contention.now();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    Contention.record(
        "ThroughputBench", impl + "," + dtype + "," + batch, contention, waitedMillis);
    subject.close();
  }

  @Benchmark
  public float embedBatch() {
    return subject.embed(texts);
  }
}
