package io.maaskit.tools.onnx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds one ONNX model (default domain opset {@value #OPSET}, {@value #MS_DOMAIN} opset 1) and
 * writes it as a self-contained {@code ModelProto}: weights are initializers with raw little-endian
 * data. Nodes are added in execution order; each {@code op} returns the name of its (first) output,
 * so a forward pass reads like one.
 *
 * <pre>{@code
 * OnnxGraphBuilder g = new OnnxGraphBuilder("encoder");
 * String x = g.input("x", OnnxGraphBuilder.FLOAT, "batch", 384L);
 * String w = g.initializer("w", OnnxGraphBuilder.FLOAT, new long[] {384, 10}, rawBytes);
 * g.op("MatMul", List.of(x, w), "logits");
 * g.output("logits", OnnxGraphBuilder.FLOAT, "batch", 10L);
 * g.write(dir.resolve("model.onnx"));
 * }</pre>
 */
public final class OnnxGraphBuilder {
  /** Default-domain opset the graphs use. */
  public static final int OPSET = 17;

  /** Domain of ONNX Runtime's contrib operators (DynamicQuantizeMatMul, ...). */
  public static final String MS_DOMAIN = "com.microsoft";

  /** TensorProto.DataType FLOAT. */
  public static final int FLOAT = 1;

  /** TensorProto.DataType UINT8. */
  public static final int UINT8 = 2;

  /** TensorProto.DataType INT8. */
  public static final int INT8 = 3;

  /** TensorProto.DataType INT32. */
  public static final int INT32 = 6;

  /** TensorProto.DataType INT64. */
  public static final int INT64 = 7;

  private static final int IR_VERSION = 8;

  private final String name;
  private final List<ProtoWriter> nodes = new ArrayList<>();
  private final List<ProtoWriter> initializers = new ArrayList<>();
  private final List<ProtoWriter> inputs = new ArrayList<>();
  private final List<ProtoWriter> outputs = new ArrayList<>();
  private final Map<String, Integer> opCounts = new LinkedHashMap<>();
  private final Map<String, Integer> linearBits = new LinkedHashMap<>();
  private final Set<String> names = new HashSet<>();
  private final Map<String, String> scalarCache = new LinkedHashMap<>();
  private boolean usesMsDomain;
  private int counter;
  private String scope = "";

  /** A builder for a graph called {@code name}. */
  public OnnxGraphBuilder(String name) {
    this.name = name;
  }

  /** A node attribute. */
  public record Attr(String name, int type, float f, long i, long[] ints) {
    /** An INT attribute. */
    public static Attr i(String name, long v) {
      return new Attr(name, 2, 0, v, null);
    }

    /** A FLOAT attribute. */
    public static Attr f(String name, float v) {
      return new Attr(name, 1, v, 0, null);
    }

    /** An INTS attribute. */
    public static Attr ints(String name, long... v) {
      return new Attr(name, 7, 0, 0, v);
    }

    ProtoWriter proto() {
      ProtoWriter a = new ProtoWriter().string(1, name);
      switch (type) {
        case 1 -> a.float32(2, f);
        case 2 -> a.int64(3, i);
        case 7 -> {
          for (long v : ints) {
            a.int64(8, v);
          }
        }
        default -> throw new IllegalStateException("attribute type " + type);
      }
      return a.int64(20, type);
    }
  }

  /** Names nodes and values added from now on under {@code scope} (e.g. {@code layer.3}). */
  public void scope(String scope) {
    this.scope = scope == null || scope.isEmpty() ? "" : scope + "/";
  }

  /**
   * A graph input; each dim is a {@code Long} (fixed) or a {@code String} (symbolic, e.g. {@code
   * batch}).
   */
  public String input(String name, int elemType, Object... dims) {
    claim(name);
    inputs.add(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares an existing value as a graph output. */
  public void output(String name, int elemType, Object... dims) {
    outputs.add(valueInfo(name, elemType, dims));
  }

  /** A constant tensor from raw little-endian bytes. */
  public String initializer(String name, int dataType, long[] dims, ByteBuffer raw) {
    claim(name);
    ProtoWriter t = new ProtoWriter().packed(1, dims).int64(2, dataType).string(8, name);
    t.bytes(9, raw);
    initializers.add(t);
    return name;
  }

  /** A float32 constant. */
  public String floats(String name, float[] values, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return initializer(name, FLOAT, dims, b);
  }

  /** An int64 constant. */
  public String longs(String name, long[] values, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return initializer(name, INT64, dims, b);
  }

  /** A float32 scalar constant, shared by every use of the same value. */
  public String scalar(float v) {
    return scalarCache.computeIfAbsent(
        "f" + Float.floatToIntBits(v), k -> floats("const/" + k, new float[] {v}));
  }

  /** A 1-D int64 constant, shared by every use of the same values. */
  public String vector(long... v) {
    return scalarCache.computeIfAbsent(
        "i" + java.util.Arrays.toString(v), k -> longs("const/i" + (counter++), v, v.length));
  }

  /** A default-domain node with one output, auto-named; returns the output's name. */
  public String op(String opType, List<String> in, Attr... attrs) {
    return add("", opType, in, 1, null, attrs).get(0);
  }

  /** A default-domain node whose one output gets the given name. */
  public String op(String opType, List<String> in, String output, Attr... attrs) {
    return add("", opType, in, 1, output, attrs).get(0);
  }

  /** A default-domain node with {@code n} outputs. */
  public List<String> ops(String opType, List<String> in, int n, Attr... attrs) {
    return add("", opType, in, n, null, attrs);
  }

  /** A {@value #MS_DOMAIN} node with one output; {@code ""} marks an omitted optional input. */
  public String msOp(String opType, List<String> in, Attr... attrs) {
    usesMsDomain = true;
    return add(MS_DOMAIN, opType, in, 1, null, attrs).get(0);
  }

  /**
   * A {@value #MS_DOMAIN} node with several outputs: a null entry of {@code outputs} is named
   * automatically, an empty one leaves that optional output out; returns every output's name.
   */
  public List<String> msOps(String opType, List<String> in, List<String> outputs, Attr... attrs) {
    usesMsDomain = true;
    return add(MS_DOMAIN, opType, in, outputs, attrs);
  }

  private List<String> add(
      String domain, String opType, List<String> in, int n, String output, Attr... attrs) {
    List<String> named = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      named.add(output);
    }
    return add(domain, opType, in, named, attrs);
  }

  private List<String> add(
      String domain, String opType, List<String> in, List<String> named, Attr... attrs) {
    int n = named.size();
    String nodeName = scope + opType + "_" + opCounts.merge(opType, 1, Integer::sum);
    List<String> outs = new ArrayList<>(n);
    for (int k = 0; k < n; k++) {
      String o = named.get(k) != null ? named.get(k) : nodeName + (n > 1 ? ":" + k : "");
      if (!o.isEmpty()) { // "" leaves an optional output out
        claim(o);
      }
      outs.add(o);
    }
    ProtoWriter node = new ProtoWriter();
    for (String i : in) {
      node.string(1, i);
    }
    for (String o : outs) {
      node.string(2, o);
    }
    node.string(3, nodeName).string(4, opType);
    for (Attr a : attrs) {
      node.message(5, a.proto());
    }
    if (!domain.isEmpty()) {
      node.string(7, domain);
    }
    nodes.add(node);
    return outs;
  }

  private void claim(String name) {
    if (!names.add(name)) {
      throw new IllegalArgumentException("value name '" + name + "' is used twice");
    }
  }

  private static ProtoWriter valueInfo(String name, int elemType, Object... dims) {
    ProtoWriter shape = new ProtoWriter();
    for (Object d : dims) {
      ProtoWriter dim = new ProtoWriter();
      if (d instanceof String s) {
        dim.string(2, s);
      } else {
        dim.int64(1, ((Number) d).longValue());
      }
      shape.message(1, dim);
    }
    ProtoWriter tensor = new ProtoWriter().int64(1, elemType).message(2, shape);
    ProtoWriter type = new ProtoWriter().message(1, tensor);
    return new ProtoWriter().string(1, name).message(2, type);
  }

  /** Notes that the weight matrix {@code name} is stored at {@code bits} bits (32: float32). */
  public void linearBits(String name, int bits) {
    linearBits.put(name, bits);
  }

  /**
   * Bits of every weight matrix noted ({@link #linearBits(String, int)}), in emission order: what a
   * quantized package's manifest records.
   */
  public Map<String, Integer> linearBits() {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(linearBits));
  }

  /** Op type → count, in first-use order: what the graph is made of. */
  public Map<String, Integer> opCounts() {
    return Map.copyOf(opCounts);
  }

  /** Writes the model atomically (via a {@code .tmp} sibling); returns its size in bytes. */
  public long write(Path file, String producerVersion) throws IOException {
    ProtoWriter graph = new ProtoWriter();
    for (ProtoWriter n : nodes) {
      graph.message(1, n);
    }
    graph.string(2, name);
    for (ProtoWriter t : initializers) {
      graph.message(5, t);
    }
    initializers.clear(); // the graph holds the only copy from here on
    for (ProtoWriter i : inputs) {
      graph.message(11, i);
    }
    for (ProtoWriter o : outputs) {
      graph.message(12, o);
    }
    ProtoWriter head =
        new ProtoWriter()
            .int64(1, IR_VERSION)
            .string(2, "maaskit")
            .string(3, producerVersion == null ? "" : producerVersion);
    ProtoWriter tail = new ProtoWriter();
    tail.message(8, new ProtoWriter().string(1, "").int64(2, OPSET));
    if (usesMsDomain) {
      tail.message(8, new ProtoWriter().string(1, MS_DOMAIN).int64(2, 1));
    }
    // field 7 (graph) is framed by hand so the graph's bytes are written once, not copied again
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream os = Files.newOutputStream(tmp);
        WritableByteChannel ch = Channels.newChannel(os)) {
      ch.write(head.view());
      ch.write(lengthDelimitedHeader(7, graph.size()));
      ch.write(graph.view());
      ch.write(tail.view());
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return Files.size(file);
  }

  private static ByteBuffer lengthDelimitedHeader(int field, int length) {
    ByteBuffer b = ByteBuffer.allocate(16);
    long v = ((long) field << 3) | 2;
    for (long x : new long[] {v, length}) {
      while ((x & ~0x7FL) != 0) {
        b.put((byte) ((x & 0x7F) | 0x80));
        x >>>= 7;
      }
      b.put((byte) x);
    }
    return b.flip();
  }
}
