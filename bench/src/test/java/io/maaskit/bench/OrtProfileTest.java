package io.maaskit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decode-step summary of a hand-written ONNX Runtime trace in ORT's event format. */
class OrtProfileTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** hidden 1024, intermediate 4096, 8 heads of 128 (2 KV heads), vocab 32000. */
  private static final OrtProfile.Widths WIDTHS =
      OrtProfile.Widths.of(
          JSON.createObjectNode()
              .put("hidden_size", 1024)
              .put("intermediate_size", 4096)
              .put("num_attention_heads", 8)
              .put("num_key_value_heads", 2)
              .put("vocab_size", 32000));

  @Test
  void decodeStepsAloneCountAndLinearsAreNamedByTheirWidths(@TempDir Path dir) throws Exception {
    ArrayNode trace = JSON.createArrayNode();
    // Run 0: the warm-up (skipped). Run 1: a 3-token prefill (left out). Runs 2 and 3: decode.
    run(trace, 0, 100);
    linear(trace, 10, "layer.0/MatMulNBits_0", 1, 1024, 1536, 50, null);
    run(trace, 1000, 500);
    linear(trace, 1010, "layer.0/MatMulNBits_0", 3, 1024, 1536, 400, null);
    for (long t : new long[] {2000, 3000}) {
      run(trace, t, 100);
      linear(trace, t + 1, "layer.0/MatMulNBits_0", 1, 1024, 1536, 10, null);
      node(trace, t + 12, "layer.0/GroupQueryAttention_0", "GroupQueryAttention", 5);
      linear(trace, t + 20, "layer.0/MatMulNBits_1", 1, 1024, 1024, 5, null);
      linear(trace, t + 30, "layer.0/MatMulNBits_2", 1, 1024, 8192, 20, null);
      linear(trace, t + 55, "layer.0/MatMulNBits_3", 1, 4096, 1024, 10, null);
      // The LM head's weights stay unpacked: uint8 [N, K / 32 blocks, 32 bytes] is 8 bits each.
      linear(trace, t + 66, "head/MatMulNBits_4", 1, 1024, 32000, 30, new int[] {32000, 32, 32});
    }
    Path file = dir.resolve("trace.json");
    JSON.writeValue(file.toFile(), trace);

    ObjectNode s = OrtProfile.summarize(file, 1, WIDTHS, 4);

    assertEquals(2, s.path("decode_steps").asInt());
    assertEquals(1, s.path("prefill_runs_excluded").asInt());
    assertEquals(0.1, s.path("step_ms").asDouble(), 1e-9);
    assertEquals(0.08, s.path("kernels_ms_per_step").asDouble(), 1e-9);
    assertEquals(0.02, s.path("outside_kernels_ms_per_step").asDouble(), 1e-9);
    JsonNode top = s.path("ops").path(0);
    assertEquals("MatMulNBits", top.path("op").asText());
    assertEquals(5, top.path("nodes_per_step").asInt());
    assertEquals(0.75, top.path("share").asDouble(), 1e-9);
    JsonNode head = linear(s, "MatMulNBits lm_head");
    assertEquals(0.3, head.path("share").asDouble(), 1e-9);
    // 32000 x 1024 bytes in 30 µs.
    assertEquals(32.77, head.path("weight_mb_per_step").asDouble(), 1e-9);
    assertEquals(1092.27, head.path("weight_gb_per_s").asDouble(), 1e-9);
    // 1024 x 8192 at 4 bits = 4.19 MB in 20 µs.
    assertEquals(209.72, linear(s, "MatMulNBits gate_up").path("weight_gb_per_s").asDouble(), 1e-9);
    for (String role : new String[] {"qkv", "o", "down"}) {
      assertEquals(1, linear(s, "MatMulNBits " + role).path("nodes_per_step").asInt(), role);
    }
    String table = OrtProfile.table(s.put("tokens_per_s_under_profiler", 9000.0), "int4");
    assertTrue(table.contains("| MatMulNBits | 5 | 0.075 | 75.0 % |"), table);
    assertTrue(table.contains("|   ↳ MatMulNBits lm_head | 1 | 0.030 | 30.0 % | 32.8 | 1092.3 |"));
  }

  private static JsonNode linear(JsonNode s, String name) {
    for (JsonNode l : s.path("linears")) {
      if (l.path("linear").asText().equals(name)) {
        return l;
      }
    }
    throw new AssertionError("no " + name + " in " + s.path("linears"));
  }

  private static void run(ArrayNode trace, long ts, long dur) {
    trace.addObject().put("cat", "Session").put("name", "model_run").put("ts", ts).put("dur", dur);
  }

  private static ObjectNode node(ArrayNode trace, long ts, String name, String op, long dur) {
    ObjectNode n =
        trace
            .addObject()
            .put("cat", "Node")
            .put("name", name + "_kernel_time")
            .put("ts", ts)
            .put("dur", dur);
    n.putObject("args").put("op_name", op);
    return n;
  }

  private static void linear(
      ArrayNode trace, long ts, String name, int rows, int k, int n, long dur, int[] packed) {
    ObjectNode args = (ObjectNode) node(trace, ts, name, "MatMulNBits", dur).path("args");
    ArrayNode in = args.putArray("input_type_shape");
    in.addObject().putArray("float").add(1).add(rows).add(k);
    if (packed != null) {
      in.addObject().putArray("uint8").add(packed[0]).add(packed[1]).add(packed[2]);
    }
    args.putArray("output_type_shape").addObject().putArray("float").add(1).add(rows).add(n);
  }
}
