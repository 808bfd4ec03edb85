package io.maaskit.model.engine;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled computation graph (e.g. an ONNX file a package carries) opened on an engine that runs
 * graphs ({@link Engine#runsGraphs()}): int64 tensors in, float32 tensors out. Thread-safe; each
 * {@link #run} frees every native tensor it allocates before it returns, and {@link #close} frees
 * the graph.
 *
 * <pre>{@code
 * try (CompiledGraph g = engine.openGraph(bytes, "minilm")) {
 *   Map<String, CompiledGraph.FloatTensor> out =
 *       g.run(Map.of("input_ids", new CompiledGraph.LongTensor(ids, 1, n), ...), Set.of("pooled"));
 * }
 * }</pre>
 */
public interface CompiledGraph extends AutoCloseable {
  /** Names of the graph's inputs. */
  List<String> inputNames();

  /**
   * Runs the graph once.
   *
   * @param inputs every input the graph declares, by name
   * @param outputs the outputs to return (float32 ones)
   * @return the requested outputs, copied to the Java heap
   * @throws IllegalArgumentException if an input is missing or an output does not exist
   */
  Map<String, FloatTensor> run(Map<String, LongTensor> inputs, Set<String> outputs);

  @Override
  void close();

  /** A row-major int64 tensor. */
  record LongTensor(long[] data, long... shape) {
    public LongTensor {
      if (Arrays.stream(shape).reduce(1, Math::multiplyExact) != data.length) {
        throw new IllegalArgumentException(
            "shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
      }
    }
  }

  /** A row-major float32 tensor. */
  record FloatTensor(float[] data, long... shape) {
    /** A rank-2 tensor as rows. */
    public float[][] rows() {
      if (shape.length != 2) {
        throw new IllegalStateException("not a matrix: shape " + Arrays.toString(shape));
      }
      int n = Math.toIntExact(shape[0]);
      int w = Math.toIntExact(shape[1]);
      float[][] out = new float[n][];
      for (int i = 0; i < n; i++) {
        out[i] = Arrays.copyOfRange(data, i * w, (i + 1) * w);
      }
      return out;
    }
  }
}
