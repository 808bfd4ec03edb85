package io.maaskit.tools.importer;

import io.maaskit.model.engine.Safetensors.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model an importer needs: initializers (weights), nodes, and the constant
 * tensors of {@code Constant} nodes. A minimal protobuf wire-format reader, so the kit needs no
 * ONNX or protobuf library at run time.
 */
public final class OnnxGraph {
  /** One graph node: its name, operator, inputs, outputs and constant value (for Constant). */
  public record Node(
      String name, String op, List<String> inputs, List<String> outputs, Tensor value) {}

  private final Map<String, Tensor> initializers;
  private final List<Node> nodes;
  private final String producer;

  private OnnxGraph(Map<String, Tensor> initializers, List<Node> nodes, String producer) {
    this.initializers = initializers;
    this.nodes = nodes;
    this.producer = producer;
  }

  /** Initializers by name, with safetensors dtype names. */
  public Map<String, Tensor> initializers() {
    return initializers;
  }

  /** Nodes in graph order. */
  public List<Node> nodes() {
    return nodes;
  }

  /** The producer named in the model (e.g. "pytorch", "onnx.quantize"). */
  public String producer() {
    return producer;
  }

  /** The node that produces {@code output}, or null. */
  public Node producerOf(String output) {
    for (Node n : nodes) {
      if (n.outputs().contains(output)) {
        return n;
      }
    }
    return null;
  }

  /** Reads an ONNX file; fails clearly if it is not one. */
  public static OnnxGraph read(Path file) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer graph = null;
    String producer = "";
    try {
      Reader r = new Reader(buf);
      while (r.hasMore()) {
        int key = (int) r.varint();
        int field = key >>> 3;
        int wire = key & 7;
        if (field == 7 && wire == 2) {
          graph = r.bytes();
        } else if (field == 2 && wire == 2) {
          producer = r.string();
        } else {
          r.skip(wire);
        }
      }
    } catch (RuntimeException e) {
      throw new IOException(file + " is not a readable ONNX model: " + e.getMessage(), e);
    }
    if (graph == null) {
      throw new IOException(file + " is not an ONNX model (no graph found)");
    }
    Map<String, Tensor> inits = new LinkedHashMap<>();
    List<Node> nodes = new ArrayList<>();
    Reader g = new Reader(graph);
    while (g.hasMore()) {
      int key = (int) g.varint();
      int field = key >>> 3;
      int wire = key & 7;
      if (field == 5 && wire == 2) {
        NamedTensor t = tensor(g.bytes());
        inits.put(t.name, t.tensor);
      } else if (field == 1 && wire == 2) {
        nodes.add(node(g.bytes()));
      } else {
        g.skip(wire);
      }
    }
    return new OnnxGraph(inits, nodes, producer);
  }

  private record NamedTensor(String name, Tensor tensor) {}

  private static Node node(ByteBuffer b) {
    Reader r = new Reader(b);
    List<String> in = new ArrayList<>();
    List<String> out = new ArrayList<>();
    String name = "";
    String op = "";
    Tensor value = null;
    while (r.hasMore()) {
      int key = (int) r.varint();
      int field = key >>> 3;
      int wire = key & 7;
      switch (field) {
        case 1 -> in.add(r.string());
        case 2 -> out.add(r.string());
        case 3 -> name = r.string();
        case 4 -> op = r.string();
        case 5 -> {
          Reader a = new Reader(r.bytes());
          while (a.hasMore()) {
            int k = (int) a.varint();
            if ((k >>> 3) == 5 && (k & 7) == 2) {
              value = tensor(a.bytes()).tensor;
            } else {
              a.skip(k & 7);
            }
          }
        }
        default -> r.skip(wire);
      }
    }
    return new Node(name, op, in, out, value);
  }

  private static NamedTensor tensor(ByteBuffer b) {
    Reader r = new Reader(b);
    List<Long> dims = new ArrayList<>();
    int dataType = 0;
    String name = "";
    ByteBuffer raw = null;
    List<Float> floats = new ArrayList<>();
    List<Long> ints = new ArrayList<>();
    while (r.hasMore()) {
      int key = (int) r.varint();
      int field = key >>> 3;
      int wire = key & 7;
      switch (field) {
        case 1 -> {
          if (wire == 2) {
            Reader p = new Reader(r.bytes());
            while (p.hasMore()) {
              dims.add(p.varint());
            }
          } else {
            dims.add(r.varint());
          }
        }
        case 2 -> dataType = (int) r.varint();
        case 8 -> name = r.string();
        case 9 -> raw = r.bytes();
        case 4 -> {
          if (wire == 2) {
            ByteBuffer p = r.bytes().order(ByteOrder.LITTLE_ENDIAN);
            while (p.hasRemaining()) {
              floats.add(p.getFloat());
            }
          } else {
            floats.add(Float.intBitsToFloat((int) r.fixed32()));
          }
        }
        case 5, 7 -> {
          if (wire == 2) {
            Reader p = new Reader(r.bytes());
            while (p.hasMore()) {
              ints.add(p.varint());
            }
          } else {
            ints.add(r.varint());
          }
        }
        case 13, 14 ->
            throw new IllegalArgumentException(
                "tensor "
                    + name
                    + " uses external data, which the importer does not support;"
                    + " re-export the model with weights embedded in the .onnx file");
        default -> r.skip(wire);
      }
    }
    String dtype =
        switch (dataType) {
          case 1 -> "F32";
          case 2 -> "U8";
          case 3 -> "I8";
          case 6 -> "I32";
          case 7 -> "I64";
          case 10 -> "F16";
          case 11 -> "F64";
          default -> "ONNX" + dataType;
        };
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    ByteBuffer data;
    if (raw != null) {
      data = raw.slice().order(ByteOrder.LITTLE_ENDIAN);
    } else if (!floats.isEmpty()) {
      data = ByteBuffer.allocate(floats.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
      floats.forEach(data::putFloat);
      data.flip();
    } else {
      int width = dtype.startsWith("ONNX") ? 1 : Math.max(1, elementWidth(dtype));
      data = ByteBuffer.allocate(ints.size() * width).order(ByteOrder.LITTLE_ENDIAN);
      for (long v : ints) {
        switch (width) {
          case 8 -> data.putLong(v);
          case 4 -> data.putInt((int) v);
          default -> data.put((byte) v);
        }
      }
      data.flip();
    }
    return new NamedTensor(name, new Tensor(dtype, shape, data));
  }

  private static int elementWidth(String dtype) {
    return switch (dtype) {
      case "I64", "F64" -> 8;
      case "I32", "F32" -> 4;
      case "F16" -> 2;
      default -> 1;
    };
  }

  /** Protobuf wire-format cursor over a buffer. */
  private static final class Reader {
    private final ByteBuffer buf;

    Reader(ByteBuffer buf) {
      this.buf = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    boolean hasMore() {
      return buf.hasRemaining();
    }

    long varint() {
      long result = 0;
      int shift = 0;
      while (true) {
        byte b = buf.get();
        result |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
        shift += 7;
        if (shift > 63) {
          throw new IllegalArgumentException("malformed varint");
        }
      }
    }

    long fixed32() {
      return buf.getInt() & 0xffffffffL;
    }

    ByteBuffer bytes() {
      int len = Math.toIntExact(varint());
      ByteBuffer slice = buf.slice().limit(len);
      buf.position(buf.position() + len);
      return slice;
    }

    String string() {
      ByteBuffer b = bytes();
      byte[] arr = new byte[b.remaining()];
      b.get(arr);
      return new String(arr, StandardCharsets.UTF_8);
    }

    void skip(int wire) {
      switch (wire) {
        case 0 -> varint();
        case 1 -> buf.position(buf.position() + 8);
        case 2 -> bytes();
        case 5 -> buf.position(buf.position() + 4);
        default -> throw new IllegalArgumentException("unsupported wire type " + wire);
      }
    }
  }
}
