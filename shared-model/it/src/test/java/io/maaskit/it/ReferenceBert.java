package io.maaskit.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The test oracle for BERT heads (sequence classification, token classification, question
 * answering): a deliberately naive encoder in plain Java, double precision, sharing no code with
 * the kit, written from Hugging Face's {@code modeling_bert} (word + position + token-type
 * embeddings and LayerNorm; per layer self-attention with scores scaled by 1/sqrt(head size),
 * output projection, residual LayerNorm, erf GELU feed-forward, residual LayerNorm; the tanh pooler
 * over [CLS]; the linear classifier). One unpadded sequence at a time, so no mask is involved.
 */
public final class ReferenceBert {
  private final Map<String, double[]> tensors = new HashMap<>();
  private final int hidden;
  private final int layers;
  private final int heads;
  private final double eps;

  /** Reads {@code config.json} and {@code model.safetensors} of a Hugging Face directory. */
  public ReferenceBert(Path dir) throws IOException {
    JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    hidden = config.path("hidden_size").asInt();
    layers = config.path("num_hidden_layers").asInt();
    heads = config.path("num_attention_heads").asInt();
    eps = config.path("layer_norm_eps").asDouble(1e-12);
    ReferenceWeights.read(dir.resolve("model.safetensors"), tensors, new HashMap<>());
  }

  private double[] w(String name) {
    double[] t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("reference: no tensor " + name);
    }
    return t;
  }

  /** The classifier's logits for one sequence. */
  public double[] logits(long[] ids, long[] types) {
    double[][] x = hidden(ids, types);
    double[] pooled = linear(x[0], "bert.pooler.dense");
    for (int d = 0; d < pooled.length; d++) {
      pooled[d] = Math.tanh(pooled[d]);
    }
    return linear(pooled, "classifier");
  }

  /**
   * A per-token head's logits for one sequence, {@code [token][column]}: {@code head} is {@code
   * classifier} ({@code BertForTokenClassification}) or {@code qa_outputs} ({@code
   * BertForQuestionAnswering}), applied to every token's final state.
   */
  public double[][] tokenLogits(long[] ids, long[] types, String head) {
    double[][] x = hidden(ids, types);
    double[][] out = new double[x.length][];
    for (int t = 0; t < x.length; t++) {
      out[t] = linear(x[t], head);
    }
    return out;
  }

  /** The encoder's final hidden states, {@code [token][hidden]}. */
  private double[][] hidden(long[] ids, long[] types) {
    int n = ids.length;
    double[] word = w("bert.embeddings.word_embeddings.weight");
    double[] pos = w("bert.embeddings.position_embeddings.weight");
    double[] type = w("bert.embeddings.token_type_embeddings.weight");
    double[][] x = new double[n][hidden];
    for (int t = 0; t < n; t++) {
      for (int h = 0; h < hidden; h++) {
        x[t][h] =
            word[(int) ids[t] * hidden + h]
                + pos[t * hidden + h]
                + type[(int) types[t] * hidden + h];
      }
      x[t] = layerNorm(x[t], "bert.embeddings.LayerNorm");
    }
    int size = hidden / heads;
    for (int l = 0; l < layers; l++) {
      String p = "bert.encoder.layer." + l + ".";
      double[][] q = new double[n][];
      double[][] k = new double[n][];
      double[][] v = new double[n][];
      for (int t = 0; t < n; t++) {
        q[t] = linear(x[t], p + "attention.self.query");
        k[t] = linear(x[t], p + "attention.self.key");
        v[t] = linear(x[t], p + "attention.self.value");
      }
      double[][] next = new double[n][];
      for (int i = 0; i < n; i++) {
        double[] context = new double[hidden];
        for (int h = 0; h < heads; h++) {
          double[] scores = new double[n];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < n; j++) {
            double s = 0;
            for (int d = 0; d < size; d++) {
              s += q[i][h * size + d] * k[j][h * size + d];
            }
            scores[j] = s / Math.sqrt(size);
            max = Math.max(max, scores[j]);
          }
          double sum = 0;
          for (int j = 0; j < n; j++) {
            scores[j] = Math.exp(scores[j] - max);
            sum += scores[j];
          }
          for (int j = 0; j < n; j++) {
            for (int d = 0; d < size; d++) {
              context[h * size + d] += scores[j] / sum * v[j][h * size + d];
            }
          }
        }
        double[] attn =
            layerNorm(
                add(linear(context, p + "attention.output.dense"), x[i]),
                p + "attention.output.LayerNorm");
        double[] inter = linear(attn, p + "intermediate.dense");
        for (int d = 0; d < inter.length; d++) {
          inter[d] = 0.5 * inter[d] * (1 + erf(inter[d] / Math.sqrt(2)));
        }
        next[i] = layerNorm(add(linear(inter, p + "output.dense"), attn), p + "output.LayerNorm");
      }
      x = next;
    }
    return x;
  }

  /** {@code y = W x + b} with {@code W} stored {@code [out, in]} as PyTorch's Linear does. */
  private double[] linear(double[] in, String name) {
    double[] weight = w(name + ".weight");
    double[] bias = w(name + ".bias");
    double[] out = new double[bias.length];
    for (int o = 0; o < out.length; o++) {
      double s = bias[o];
      for (int i = 0; i < in.length; i++) {
        s += weight[o * in.length + i] * in[i];
      }
      out[o] = s;
    }
    return out;
  }

  private double[] layerNorm(double[] in, String name) {
    double[] gamma = w(name + ".weight");
    double[] beta = w(name + ".bias");
    double mean = 0;
    for (double v : in) {
      mean += v;
    }
    mean /= in.length;
    double var = 0;
    for (double v : in) {
      var += (v - mean) * (v - mean);
    }
    var /= in.length;
    double[] out = new double[in.length];
    for (int i = 0; i < in.length; i++) {
      out[i] = (in[i] - mean) / Math.sqrt(var + eps) * gamma[i] + beta[i];
    }
    return out;
  }

  private static double[] add(double[] a, double[] b) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] + b[i];
    }
    return out;
  }

  /**
   * erf by its Maclaurin series (exact to ~1e-15 for |x| < 3, where the terms' cancellation is
   * still small); beyond, by the continued fraction of erfc.
   */
  static double erf(double x) {
    double a = Math.abs(x);
    if (a < 3) {
      double term = a;
      double sum = a;
      for (int n = 1; n < 200 && Math.abs(term) > 1e-17; n++) {
        term *= -a * a / n;
        sum += term / (2 * n + 1);
      }
      return Math.signum(x) * 2 / Math.sqrt(Math.PI) * sum;
    }
    // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + 1/2/(a + 1/(a + 3/2/(a + 2/(a + ...))))
    double f = a;
    for (int k = 60; k >= 1; k--) {
      f = a + (k / 2.0) / f;
    }
    double erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
    return Math.signum(x) * (1 - erfc);
  }
}
