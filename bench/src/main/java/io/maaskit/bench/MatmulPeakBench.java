package io.maaskit.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
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
 * The machine's practical fp32 roof on our engine: one {@code n×n×n} matmul on DJL PyTorch with the
 * same thread settings as the encoder. The report takes the fastest sample (best of N) as the peak:
 * {@code 2 n³ / t}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MatmulPeakBench {
  @Param({"2048"})
  public int n;

  private NDManager manager;
  private NDArray a;
  private NDArray b;

  private Contention contention;
  private long waitedMillis;

  @Setup(Level.Trial)
  public void setUp() {
    EagerEngine runtime =
        EagerEngine.start(new EngineOptions("pytorch", "cpu", Subject.threads(), true));
    runtime.prepareThread();
    manager = runtime.newManager();
    a = manager.randomUniform(-1f, 1f, new Shape(n, n));
    b = manager.randomUniform(-1f, 1f, new Shape(n, n));
    waitedMillis = Contention.awaitQuiet(Contention.QUIET_CORES, Contention.quietWaitMillis());
    contention = Contention.now();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    Contention.record("MatmulPeakBench", "n=" + n, contention, waitedMillis);
    manager.close();
  }

  @Benchmark
  public float matmul() {
    try (NDArray c = a.matMul(b);
        NDArray corner = c.get(0, 0)) {
      // Reading one element forces the result; the copy back is 4 bytes.
      return corner.getFloat();
    }
  }
}
