package io.maaskit.bench;

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
 * Warm single-input latency: one text per call, one caller, sampled (JMH {@code SampleTime}) so the
 * report has p50 and p99. Iteration counts and times come from the command line (scripts/bench).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LatencyBench {
  @Param({"maaskit", "maaskit-pytorch", "langchain4j"})
  public String impl;

  @Param({"fp32", "int8"})
  public String dtype;

  @Param({"short", "long"})
  public String length;

  private Subject subject;
  private String text;

  private Contention contention;
  private long waitedMillis;

  @Setup(Level.Trial)
  public void setUp() {
    subject = Subject.open(impl, dtype);
    text = Corpus.single(length);
    waitedMillis = Contention.awaitQuiet(Contention.QUIET_CORES, Contention.quietWaitMillis());
    contention = Contention.now();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    Contention.record("LatencyBench", impl + "," + dtype + "," + length, contention, waitedMillis);
    subject.close();
  }

  @Benchmark
  public float embedOne() {
    return subject.embedOne(text);
  }
}
