package io.maaskit.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * The test oracles' own safetensors reader (F32 and BF16 to doubles), written from the format's
 * description and sharing no code with the kit's {@code Safetensors}.
 */
public final class ReferenceWeights {
  private ReferenceWeights() {}

  /** Adds every tensor of {@code file} to {@code tensors} (values) and {@code shapes}. */
  public static void read(Path file, Map<String, double[]> tensors, Map<String, long[]> shapes)
      throws IOException {
    byte[] all = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    int headerLength = (int) b.getLong(0);
    JsonNode header =
        new ObjectMapper().readTree(new String(all, 8, headerLength, StandardCharsets.UTF_8));
    int base = 8 + headerLength;
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      String dtype = e.getValue().path("dtype").asText();
      long begin = e.getValue().path("data_offsets").get(0).asLong();
      long[] shape = new long[e.getValue().path("shape").size()];
      long n = 1;
      for (int i = 0; i < shape.length; i++) {
        shape[i] = e.getValue().path("shape").get(i).asLong();
        n *= shape[i];
      }
      double[] values = new double[(int) n];
      for (int i = 0; i < n; i++) {
        values[i] =
            switch (dtype) {
              case "F32" -> b.getFloat(base + (int) begin + 4 * i);
              case "BF16" ->
                  Float.intBitsToFloat((b.getShort(base + (int) begin + 2 * i) & 0xFFFF) << 16);
              default -> throw new IOException("reference reads F32 and BF16 only, not " + dtype);
            };
      }
      tensors.put(e.getKey(), values);
      shapes.put(e.getKey(), shape);
    }
  }
}
