package io.maaskit.model.engine;

import com.google.gson.reflect.TypeToken;
import io.maaskit.model.pkg.PackageJson;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the <a href="https://huggingface.co/docs/safetensors">safetensors</a> format: an
 * 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range, then the raw little-endian tensor bytes.
 *
 * <p>Safetensors is the weight format of every model package because it can be read without code
 * execution and mapped straight into tensors, in memory or from disk.
 *
 * <pre>{@code
 * Map<String, Tensor> weights = Safetensors.read(Path.of("model.safetensors"));
 * Tensor wq = weights.get("encoder.layer.0.attention.self.query.weight");
 * }</pre>
 */
public final class Safetensors {
  private static final long MAX_HEADER = 100L * 1024 * 1024;

  private Safetensors() {}

  /** One tensor: its dtype name as safetensors spells it (F32, I8, U8, I64...), shape and bytes. */
  public record Tensor(String dtype, long[] shape, ByteBuffer data) {
    /** Number of elements. */
    public long elementCount() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    /** The data as little-endian floats (dtype F32 only). */
    public float[] toFloats() {
      if (!"F32".equals(dtype)) {
        throw new IllegalStateException("tensor is " + dtype + ", not F32");
      }
      float[] out = new float[Math.toIntExact(elementCount())];
      data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      return out;
    }

    /** A float32 tensor from Java floats. */
    public static Tensor ofFloats(float[] values, long... shape) {
      ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      buf.asFloatBuffer().put(values);
      return new Tensor("F32", shape, buf);
    }

    @Override
    public String toString() {
      return dtype + Arrays.toString(shape);
    }
  }

  /** Reads a file fully into memory. */
  public static Map<String, Tensor> read(Path file) throws IOException {
    return read(ByteBuffer.wrap(Files.readAllBytes(file)), file.toString());
  }

  /** Metadata ({@code __metadata__}) of a safetensors buffer, empty if none. */
  public static Map<String, String> metadata(ByteBuffer buffer) throws IOException {
    Map<String, Object> header = header(buffer, "buffer");
    Object meta = header.get("__metadata__");
    if (meta == null) {
      return Map.of();
    }
    Map<String, String> out = new TreeMap<>();
    ((Map<?, ?>) meta).forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
    return out;
  }

  /**
   * Parses a safetensors buffer; tensor data are views of {@code buffer}, not copies.
   *
   * @param source named in error messages
   */
  public static Map<String, Tensor> read(ByteBuffer buffer, String source) throws IOException {
    Map<String, Object> header = header(buffer, source);
    long headerLen = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    int base = Math.toIntExact(8 + headerLen);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : header.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      Map<?, ?> info = (Map<?, ?>) e.getValue();
      String dtype = (String) info.get("dtype");
      List<?> shapeList = (List<?>) info.get("shape");
      List<?> offsets = (List<?>) info.get("data_offsets");
      long[] shape = shapeList.stream().mapToLong(o -> ((Number) o).longValue()).toArray();
      long begin = ((Number) offsets.get(0)).longValue();
      long end = ((Number) offsets.get(1)).longValue();
      long expected = elementBytes(dtype);
      for (long d : shape) {
        expected *= d;
      }
      if (end - begin != expected || base + end > buffer.limit()) {
        throw new IOException(
            source + ": tensor " + e.getKey() + " has inconsistent offsets " + offsets);
      }
      ByteBuffer slice =
          buffer
              .duplicate()
              .position(Math.toIntExact(base + begin))
              .limit(Math.toIntExact(base + end))
              .slice();
      out.put(e.getKey(), new Tensor(dtype, shape, slice.order(ByteOrder.LITTLE_ENDIAN)));
    }
    return out;
  }

  private static Map<String, Object> header(ByteBuffer buffer, String source) throws IOException {
    if (buffer.limit() < 8) {
      throw new IOException(source + ": too short to be safetensors");
    }
    long headerLen = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > buffer.limit()) {
      throw new IOException(source + ": invalid safetensors header length " + headerLen);
    }
    byte[] json = new byte[(int) headerLen];
    buffer.duplicate().position(8).get(json);
    return PackageJson.read(json, new TypeToken<LinkedHashMap<String, Object>>() {});
  }

  /** Writes tensors (in key order) and string metadata. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    Map<String, Object> header = new LinkedHashMap<>();
    if (metadata != null && !metadata.isEmpty()) {
      header.put("__metadata__", new TreeMap<>(metadata));
    }
    List<String> names = new ArrayList<>(tensors.keySet());
    Collections.sort(names);
    long offset = 0;
    for (String name : names) {
      Tensor t = tensors.get(name);
      long len = t.data().remaining();
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("dtype", t.dtype());
      info.put("shape", t.shape());
      info.put("data_offsets", new long[] {offset, offset + len});
      header.put(name, info);
      offset += len;
    }
    byte[] json = PackageJson.compact(header);
    int pad = (8 - json.length % 8) % 8;
    byte[] padded = Arrays.copyOf(json, json.length + pad);
    Arrays.fill(padded, json.length, padded.length, (byte) ' ');
    try (OutputStream out = Files.newOutputStream(file)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
      out.write(len.array());
      out.write(padded);
      byte[] chunk = new byte[1 << 16];
      for (String name : names) {
        ByteBuffer data = tensors.get(name).data().duplicate();
        while (data.hasRemaining()) {
          int n = Math.min(chunk.length, data.remaining());
          data.get(chunk, 0, n);
          out.write(chunk, 0, n);
        }
      }
    }
  }

  /** Bytes per element of a safetensors dtype. */
  public static int elementBytes(String dtype) {
    return switch (dtype) {
      case "F64", "I64", "U64" -> 8;
      case "F32", "I32", "U32" -> 4;
      case "F16", "BF16", "I16", "U16" -> 2;
      case "I8", "U8", "BOOL" -> 1;
      default -> throw new IllegalArgumentException("unsupported safetensors dtype " + dtype);
    };
  }
}
