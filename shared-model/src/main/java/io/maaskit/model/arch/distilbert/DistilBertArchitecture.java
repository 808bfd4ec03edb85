package io.maaskit.model.arch.distilbert;

import io.maaskit.model.arch.bert.BertArchitecture;
import io.maaskit.model.arch.bert.EncoderTensors;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Registers the {@code distilbert} architecture ({@code model_type} {@code distilbert}): BERT's
 * post-LN layers under DistilBERT's names ({@code transformer.layer.N.attention.q_lin}, {@code
 * sa_layer_norm}, {@code ffn.lin1}, {@code output_layer_norm}), no token-type table, and its
 * sequence-classification head ({@code pre_classifier} + ReLU + {@code classifier} over [CLS]). Its
 * config spells the sizes {@code dim}, {@code n_layers}, {@code n_heads}, {@code hidden_dim}; its
 * position table is in the checkpoint whether learned or sinusoidal ({@code sinusoidal_pos_embds}
 * fills the same parameter), so both load alike. LayerNorm epsilon is 1e-12.
 */
public final class DistilBertArchitecture extends BertArchitecture {
  /** The table. */
  public static final EncoderTensors TENSORS =
      new EncoderTensors(
          "distilbert",
          Set.of("distilbert"),
          Map.of(
              "dim", "hidden_size",
              "n_layers", "num_hidden_layers",
              "n_heads", "num_attention_heads",
              "hidden_dim", "intermediate_size",
              "activation", "hidden_act"),
          "distilbert.",
          "embeddings.",
          false,
          false,
          false,
          "transformer.layer.",
          new EncoderTensors.Layer(
              "attention.q_lin",
              "attention.k_lin",
              "attention.v_lin",
              "attention.out_lin",
              "sa_layer_norm",
              "ffn.lin1",
              "ffn.lin2",
              "output_layer_norm"),
          List.of("pre_classifier"),
          "relu",
          List.of("classifier"),
          List.of("pre_classifier.", "classifier."));

  /** Registered through {@code META-INF/services}. */
  public DistilBertArchitecture() {
    super(TENSORS);
  }
}
