package io.maaskit.model.task;

import io.maaskit.model.error.InvalidRequestException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The attribution methods {@link ExplainService} offers, by their request names. */
public enum ExplainMethod {
  /**
   * Integrated Gradients (Sundararajan et al., 2017) over the input embeddings, from a baseline
   * where every non-special token is {@code [PAD]}; attributions sum to f(x) - f(baseline) up to
   * the reported completeness gap.
   */
  INTEGRATED_GRADIENTS,
  /** Gradient × input at the input embeddings: one forward and one backward pass. */
  GRADIENT_X_INPUT,
  /**
   * Attention rollout (Abnar &amp; Zuidema, 2020): head-averaged attention plus the residual,
   * multiplied through the layers; label-independent, an account of where the model looked.
   */
  ATTENTION_ROLLOUT,
  /**
   * Occlusion (leave one word out; Zeiler &amp; Fergus, 2014, as used for text by Li et al., 2016):
   * a word's attribution is how much the label's probability drops when its tokens are deleted. It
   * needs only forward passes, batched through the model as served (its compiled graph on ONNX
   * Runtime), so every deployable can run it.
   */
  OCCLUSION;

  /** The name requests use, e.g. {@code integrated_gradients}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The method a request names; 400 naming the methods otherwise. */
  public static ExplainMethod parse(String key) {
    for (ExplainMethod m : values()) {
      if (m.key().equals(key)) {
        return m;
      }
    }
    throw new InvalidRequestException(
        "'method' must be one of "
            + Arrays.stream(values()).map(ExplainMethod::key).collect(Collectors.joining(", "))
            + ", not '"
            + key
            + "'");
  }
}
