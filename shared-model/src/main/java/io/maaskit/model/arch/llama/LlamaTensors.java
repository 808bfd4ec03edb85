package io.maaskit.model.arch.llama;

import io.maaskit.model.arch.TensorLayout;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one table of a Llama-family checkpoint's tensor names and their roles, as Hugging Face stores
 * them: the eager network, the ONNX graph compiler, the quantizer (through {@link #layout}) and the
 * importer all read names from here.
 */
public final class LlamaTensors {
  /** The token embedding table {@code (vocab, hidden)}; also the LM head when tied. */
  public static final String EMBEDDINGS = "model.embed_tokens.weight";

  /** The final RMSNorm's weight {@code (hidden)}. */
  public static final String FINAL_NORM = "model.norm.weight";

  /** The LM head {@code (vocab, hidden)} of an untied checkpoint. */
  public static final String LM_HEAD = "lm_head.weight";

  private LlamaTensors() {}

  /** The linear layers of one decoder layer, each {@code (out, in)}. */
  public enum Linear {
    /** Query projection (with a bias in Qwen2). */
    Q("self_attn.q_proj"),
    /** Key projection (with a bias in Qwen2). */
    K("self_attn.k_proj"),
    /** Value projection (with a bias in Qwen2). */
    V("self_attn.v_proj"),
    /** Attention output projection (with a bias only under Llama's {@code attention_bias}). */
    O("self_attn.o_proj"),
    /** MLP gate projection. */
    GATE("mlp.gate_proj"),
    /** MLP up projection. */
    UP("mlp.up_proj"),
    /** MLP down projection. */
    DOWN("mlp.down_proj");

    private final String path;

    Linear(String path) {
      this.path = path;
    }

    /** The weight's name in layer {@code layer}. */
    public String weight(int layer) {
      return prefix(layer) + path + ".weight";
    }

    /** The bias's name in layer {@code layer}. */
    public String bias(int layer) {
      return prefix(layer) + path + ".bias";
    }

    /** Whether this projection carries a bias under {@code config}. */
    public boolean hasBias(LlamaConfig config) {
      return switch (this) {
        case Q, K, V -> config.qkvBias();
        case O -> config.outputBias();
        default -> false;
      };
    }
  }

  /** The RMSNorms of one decoder layer. */
  public enum Norm {
    /** Before attention. */
    ATTENTION("input_layernorm"),
    /** Before the MLP. */
    MLP("post_attention_layernorm");

    private final String path;

    Norm(String path) {
      this.path = path;
    }

    /** The weight's name in layer {@code layer}. */
    public String weight(int layer) {
      return prefix(layer) + path + ".weight";
    }
  }

  private static String prefix(int layer) {
    return "model.layers." + layer + ".";
  }

  /**
   * Every tensor {@code config} expects, with its role: the seven projections of every layer (and
   * an untied LM head) are {@code LINEAR_WEIGHT}s; the embedding table is an {@code
   * EMBEDDING_TABLE}; norms and biases are {@code OTHER}.
   */
  public static TensorLayout layout(LlamaConfig config) {
    Map<String, TensorLayout.Role> roles = new LinkedHashMap<>();
    roles.put(EMBEDDINGS, TensorLayout.Role.EMBEDDING_TABLE);
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      for (Linear l : Linear.values()) {
        roles.put(l.weight(i), TensorLayout.Role.LINEAR_WEIGHT);
        if (l.hasBias(config)) {
          roles.put(l.bias(i), TensorLayout.Role.OTHER);
        }
      }
      for (Norm n : Norm.values()) {
        roles.put(n.weight(i), TensorLayout.Role.OTHER);
      }
    }
    roles.put(FINAL_NORM, TensorLayout.Role.OTHER);
    if (!config.tied()) {
      roles.put(LM_HEAD, TensorLayout.Role.LINEAR_WEIGHT);
    }
    return new TensorLayout(Map.copyOf(roles));
  }
}
