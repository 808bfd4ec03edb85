package io.maaskit.model.arch.gpt2;

import io.maaskit.model.arch.TensorLayout;
import io.maaskit.model.engine.Safetensors;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one table of GPT-2's tensor names and roles, read by the eager network, the ONNX compiler,
 * the quantizer and the importer (through {@link Gpt2Architecture#layout}), so a name is spelled in
 * one place.
 *
 * <p>Names are as a {@code GPT2LMHeadModel} checkpoint stores them, under {@link #prefix()} ({@code
 * transformer.} or nothing). The four projections are {@code Conv1D}s: their weights are stored
 * {@code (in, out)}, the transpose of an {@code nn.Linear}'s; {@code c_attn}'s outputs are the
 * queries, keys and values of every head, in that order.
 *
 * <pre>{@code
 * Gpt2Tensors names = Gpt2Tensors.of(tensors);
 * tensors.get(names.layer(3).qkv() + ".weight");  // transformer.h.3.attn.c_attn.weight
 * }</pre>
 *
 * @param prefix {@code transformer.} when the checkpoint was saved from {@code GPT2LMHeadModel},
 *     else empty
 */
public record Gpt2Tensors(String prefix) {
  /** The untied LM head (never prefixed); GPT-2 normally ties it to {@link #tokens()}. */
  public static final String LM_HEAD = "lm_head.weight";

  /** The names of a checkpoint's tensors, prefixed as that checkpoint is. */
  public static Gpt2Tensors of(Map<String, Safetensors.Tensor> tensors) {
    return new Gpt2Tensors(tensors.containsKey("transformer.wte.weight") ? "transformer." : "");
  }

  /** The token embedding table {@code (vocab, n_embd)}, also the tied LM head. */
  public String tokens() {
    return prefix + "wte.weight";
  }

  /** The learned position table {@code (n_positions, n_embd)}. */
  public String positions() {
    return prefix + "wpe.weight";
  }

  /** The final LayerNorm (append {@code .weight} / {@code .bias}). */
  public String finalNorm() {
    return prefix + "ln_f";
  }

  /** Block {@code i}'s names. */
  public Layer layer(int i) {
    return new Layer(prefix + "h." + i + ".");
  }

  /**
   * One block's modules; append {@code .weight} / {@code .bias}.
   *
   * @param p the block's prefix, e.g. {@code transformer.h.0.}
   */
  public record Layer(String p) {
    /** LayerNorm before attention. */
    public String norm1() {
      return p + "ln_1";
    }

    /** The fused query/key/value projection, Conv1D {@code (n_embd, 3 n_embd)}. */
    public String qkv() {
      return p + "attn.c_attn";
    }

    /** The attention output projection, Conv1D {@code (n_embd, n_embd)}. */
    public String output() {
      return p + "attn.c_proj";
    }

    /** LayerNorm before the MLP. */
    public String norm2() {
      return p + "ln_2";
    }

    /** The MLP's up projection, Conv1D {@code (n_embd, n_inner)}. */
    public String up() {
      return p + "mlp.c_fc";
    }

    /** The MLP's down projection, Conv1D {@code (n_inner, n_embd)}. */
    public String down() {
      return p + "mlp.c_proj";
    }

    /** The four projections. */
    public String[] projections() {
      return new String[] {qkv(), output(), up(), down()};
    }
  }

  /** Every tensor a checkpoint of {@code config} holds, with its role. */
  public TensorLayout layout(Gpt2Config config) {
    Map<String, TensorLayout.Role> roles = new LinkedHashMap<>();
    roles.put(tokens(), TensorLayout.Role.EMBEDDING_TABLE);
    roles.put(positions(), TensorLayout.Role.EMBEDDING_TABLE);
    for (int i = 0; i < config.layers(); i++) {
      Layer l = layer(i);
      for (String proj : l.projections()) {
        roles.put(proj + ".weight", TensorLayout.Role.LINEAR_WEIGHT);
        roles.put(proj + ".bias", TensorLayout.Role.OTHER);
      }
      for (String n : new String[] {l.norm1(), l.norm2()}) {
        roles.put(n + ".weight", TensorLayout.Role.OTHER);
        roles.put(n + ".bias", TensorLayout.Role.OTHER);
      }
    }
    roles.put(finalNorm() + ".weight", TensorLayout.Role.OTHER);
    roles.put(finalNorm() + ".bias", TensorLayout.Role.OTHER);
    if (!config.tied()) {
      roles.put(LM_HEAD, TensorLayout.Role.LINEAR_WEIGHT);
    }
    return new TensorLayout(Map.copyOf(roles));
  }
}
