package io.maaskit.model.engine;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled computation graph (e.g. an ONNX file a package carries) opened on an engine that runs
 * graphs ({@link Engine#runsGraphs()}): integer tensors in, float32 tensors out. Thread-safe; each
 * {@link #run} frees every native tensor it allocates before it returns, and {@link #close} frees
 * the graph.
 *
 * <p>A graph that carries state between runs (a decoder's key/value cache) keeps it in {@link
 * StateBuffer}s: native memory the caller allocates once and binds by {@link Region} to an input
 * and an output of the same run, so the graph reads and appends in place and nothing is copied to
 * the Java heap.
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

  /** Declared shapes of the inputs, in order; a symbolic dimension is negative. */
  Map<String, long[]> inputShapes();

  /** Declared shapes of the outputs, in order; a symbolic dimension is negative. */
  Map<String, long[]> outputShapes();

  /** Zeroed native float32 memory for state; closing it frees the memory at once. */
  StateBuffer allocate(long floats);

  /**
   * Runs the graph once with state bound in place.
   *
   * @param inputs the host inputs, by name
   * @param state regions by input or output name: an input reads its region, an output is written
   *     into its region (which may be the same memory as an input's)
   * @param outputs the float32 outputs to return (not bound to state)
   * @return the requested outputs, copied to the Java heap
   * @throws IllegalArgumentException if the inputs do not fit the graph
   */
  Map<String, FloatTensor> run(
      Map<String, HostTensor> inputs, Map<String, Region> state, Set<String> outputs);

  @Override
  void close();

  /** A tensor on the Java heap. */
  sealed interface HostTensor permits LongTensor, IntTensor {
    /** Its dimensions. */
    long[] shape();
  }

  /** A row-major int32 tensor (a scalar when {@code shape} is empty). */
  record IntTensor(int[] data, long... shape) implements HostTensor {
    public IntTensor {
      checkShape(data.length, shape);
    }
  }

  /** Native float32 memory of an engine, zeroed when allocated. */
  interface StateBuffer extends AutoCloseable {
    /** Capacity in floats. */
    long floats();

    /** Copies {@code n} floats from {@code this[from..]} to {@code target[to..]}. */
    void copyTo(long from, StateBuffer target, long to, long n);

    /** Frees the memory now; regions of it must no longer be used. */
    @Override
    void close();
  }

  /**
   * A row-major tensor of {@code shape} inside a state buffer, starting {@code offset} floats in.
   */
  record Region(StateBuffer buffer, long offset, long... shape) {
    public Region {
      long n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
      if (offset < 0 || offset + n > buffer.floats()) {
        throw new IllegalArgumentException(
            "region of "
                + n
                + " floats at "
                + offset
                + " is outside a buffer of "
                + buffer.floats());
      }
    }
  }

  private static void checkShape(int length, long... shape) {
    if (Arrays.stream(shape).reduce(1, Math::multiplyExact) != length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " does not hold " + length + " values");
    }
  }

  /** A row-major int64 tensor. */
  record LongTensor(long[] data, long... shape) implements HostTensor {
    public LongTensor {
      checkShape(data.length, shape);
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
