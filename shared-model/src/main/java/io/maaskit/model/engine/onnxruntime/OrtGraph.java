package io.maaskit.model.engine.onnxruntime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.maaskit.model.engine.CompiledGraph;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One ONNX Runtime session. Inputs are written into direct, native-order buffers, which ONNX
 * Runtime's Java API wraps as tensors without a copy; state regions are views of a {@link
 * OrtStateBuffer} handed to the session as inputs and as pinned outputs, so a decoder's cache is
 * read and appended in place. Every tensor a run creates is closed before the run returns.
 */
final class OrtGraph implements CompiledGraph {
  private final OrtEnvironment env;
  private final OrtSession session;
  private final OrtSession.SessionOptions options;
  private final String name;
  private final List<String> inputs;
  private final Map<String, long[]> inputShapes;
  private final Map<String, long[]> outputShapes;

  OrtGraph(OrtEnvironment env, OrtSession session, OrtSession.SessionOptions options, String name)
      throws OrtException {
    this.env = env;
    this.session = session;
    this.options = options;
    this.name = name;
    this.inputShapes = shapes(session.getInputInfo());
    this.outputShapes = shapes(session.getOutputInfo());
    this.inputs = List.copyOf(inputShapes.keySet());
  }

  private static Map<String, long[]> shapes(Map<String, NodeInfo> info) {
    Map<String, long[]> out = new LinkedHashMap<>();
    info.forEach(
        (n, i) -> out.put(n, i.getInfo() instanceof TensorInfo t ? t.getShape() : new long[] {-1}));
    return out;
  }

  @Override
  public List<String> inputNames() {
    return inputs;
  }

  @Override
  public Map<String, long[]> inputShapes() {
    return inputShapes;
  }

  @Override
  public Map<String, long[]> outputShapes() {
    return outputShapes;
  }

  @Override
  public Map<String, FloatTensor> run(Map<String, LongTensor> in, Set<String> outputs) {
    if (!in.keySet().equals(Set.copyOf(inputs))) {
      throw new IllegalArgumentException(
          "graph " + name + " takes inputs " + inputs + ", got " + in.keySet());
    }
    return run(new LinkedHashMap<>(in), Map.of(), outputs);
  }

  @Override
  public StateBuffer allocate(long floats) {
    return new OrtStateBuffer(floats);
  }

  @Override
  public Map<String, FloatTensor> run(
      Map<String, HostTensor> in, Map<String, Region> state, Set<String> outputs) {
    Map<String, OnnxTensor> feed = new HashMap<>();
    Map<String, OnnxTensor> pinned = new HashMap<>();
    List<OnnxTensor> created = new ArrayList<>();
    try {
      for (Map.Entry<String, HostTensor> e : in.entrySet()) {
        OnnxTensor t = host(e.getValue());
        created.add(t);
        feed.put(e.getKey(), t);
      }
      for (Map.Entry<String, Region> e : state.entrySet()) {
        OnnxTensor t = view(e.getValue());
        created.add(t);
        if (inputShapes.containsKey(e.getKey())) {
          feed.put(e.getKey(), t);
        } else if (outputShapes.containsKey(e.getKey())) {
          pinned.put(e.getKey(), t);
        } else {
          throw new IllegalArgumentException("graph " + name + " has no tensor " + e.getKey());
        }
      }
      if (!feed.keySet().equals(Set.copyOf(inputs))) {
        throw new IllegalArgumentException(
            "graph " + name + " takes inputs " + inputs + ", got " + feed.keySet());
      }
      if (!outputShapes.keySet().containsAll(outputs)) {
        List<String> missing = new ArrayList<>(outputs);
        missing.removeAll(outputShapes.keySet());
        throw new IllegalArgumentException(
            "graph "
                + name
                + " has no outputs "
                + missing
                + "; it has "
                + new TreeSet<>(outputShapes.keySet()));
      }
      try (OrtSession.Result result = session.run(feed, outputs, pinned)) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        for (String o : outputs) {
          OnnxValue v = result.get(o).orElseThrow();
          if (!(v instanceof OnnxTensor t) || t.getInfo().type != OnnxJavaType.FLOAT) {
            throw new IllegalArgumentException(
                "output " + o + " of graph " + name + " is not float32");
          }
          float[] data = new float[Math.toIntExact(t.getInfo().getNumElements())];
          t.getFloatBuffer().get(data);
          out.put(o, new FloatTensor(data, t.getInfo().getShape()));
        }
        return out;
      }
    } catch (OrtException e) {
      throw new IllegalArgumentException("graph " + name + " failed: " + e.getMessage(), e);
    } finally {
      created.forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor host(HostTensor t) throws OrtException {
    if (t instanceof LongTensor l) {
      ByteBuffer b = direct((long) l.data().length * Long.BYTES);
      b.asLongBuffer().put(l.data());
      return OnnxTensor.createTensor(env, b, l.shape(), OnnxJavaType.INT64);
    }
    IntTensor i = (IntTensor) t;
    ByteBuffer b = direct((long) i.data().length * Integer.BYTES);
    b.asIntBuffer().put(i.data());
    return OnnxTensor.createTensor(env, b, i.shape(), OnnxJavaType.INT32);
  }

  private OnnxTensor view(Region r) throws OrtException {
    if (!(r.buffer() instanceof OrtStateBuffer b)) {
      throw new IllegalArgumentException("state buffer of another engine");
    }
    return OnnxTensor.createTensor(
        env, b.slice(r.offset(), r.shape()), r.shape(), OnnxJavaType.FLOAT);
  }

  private static ByteBuffer direct(long bytes) {
    return ByteBuffer.allocateDirect(Math.toIntExact(Math.max(bytes, 1)))
        .order(ByteOrder.nativeOrder());
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      // the session's memory is released regardless
    } finally {
      options.close();
    }
  }
}
