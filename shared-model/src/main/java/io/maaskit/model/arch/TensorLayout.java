package io.maaskit.model.arch;

import java.util.Map;

/**
 * What each tensor of an architecture's weights is, by exact name, as the architecture declares it:
 * the quantizer, importers and trainer read this instead of guessing from name patterns.
 *
 * @param roles tensor name (as stored in the package) to its role; tensors not listed are {@link
 *     Role#OTHER}
 */
public record TensorLayout(Map<String, Role> roles) {
  /** The role of one tensor. */
  public enum Role {
    /** A linear layer's weight matrix (out, in): quantized per output channel. */
    LINEAR_WEIGHT,
    /** An embedding table (rows, width): quantized per row when embeddings are quantized. */
    EMBEDDING_TABLE,
    /** Biases, norms and anything else: kept in float. */
    OTHER
  }

  /** The role of {@code name}. */
  public Role role(String name) {
    return roles.getOrDefault(name, Role.OTHER);
  }
}
