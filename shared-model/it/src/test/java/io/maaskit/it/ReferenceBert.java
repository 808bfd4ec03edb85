package io.maaskit.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The test oracle for BERT-family encoders and their heads (sequence classification; BERT's token
 * classification and question answering, {@link #tokenLogits}): a deliberately naive encoder in
 * plain Java, double precision, sharing no code with the kit, written from Hugging Face's {@code
 * modeling_bert}, {@code modeling_roberta} (also XLM-RoBERTa's) and {@code modeling_distilbert}:
 * word + position (+ token-type) embeddings and LayerNorm; per layer self-attention with scores
 * scaled by 1/sqrt(head size), output projection, residual LayerNorm, erf GELU feed-forward,
 * residual LayerNorm; then the head: BERT's tanh pooler over [CLS] and {@code classifier},
 * RoBERTa's {@code classifier.dense} + tanh + {@code classifier.out_proj}, or DistilBERT's {@code
 * pre_classifier} + ReLU + {@code classifier}. RoBERTa's positions start at {@code pad_token_id +
 * 1} and every token adds token-type row 0; DistilBERT has no token types. One unpadded sequence at
 * a time, so no mask is involved.
 */
public final class ReferenceBert {
  private final Map<String, double[]> tensors = new HashMap<>();
  private final String type;
  private final String prefix;
  private final int hidden;
  private final int layers;
  private final int heads;
  private final int firstPosition;
  private final double eps;

  /** Reads {@code config.json} and {@code model.safetensors} of a Hugging Face directory. */
  public ReferenceBert(Path dir) throws IOException {
    JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    type = config.path("model_type").asText("bert");
    boolean distil = type.equals("distilbert");
    hidden = config.path(distil ? "dim" : "hidden_size").asInt();
    layers = config.path(distil ? "n_layers" : "num_hidden_layers").asInt();
    heads = config.path(distil ? "n_heads" : "num_attention_heads").asInt();
    eps = distil ? 1e-12 : config.path("layer_norm_eps").asDouble(1e-12);
    boolean roberta = type.equals("roberta") || type.equals("xlm-roberta");
    firstPosition = roberta ? config.path("pad_token_id").asInt(1) + 1 : 0;
    ReferenceWeights.read(dir.resolve("model.safetensors"), tensors, new HashMap<>());
    String base = distil ? "distilbert." : roberta ? "roberta." : "bert.";
    prefix = tensors.containsKey(base + "embeddings.word_embeddings.weight") ? base : "";
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
    double[] first = hiddenStates(ids, types)[0];
    return switch (type) {
      case "distilbert" -> {
        double[] h = linear(first, "pre_classifier");
        for (int d = 0; d < h.length; d++) {
          h[d] = Math.max(0, h[d]);
        }
        yield linear(h, "classifier");
      }
      case "roberta", "xlm-roberta" ->
          linear(tanh(linear(first, "classifier.dense")), "classifier.out_proj");
      default -> linear(tanh(linear(first, "bert.pooler.dense")), "classifier");
    };
  }

  /**
   * A per-token head's logits for one sequence, {@code [token][column]}: {@code head} is {@code
   * classifier} ({@code BertForTokenClassification}) or {@code qa_outputs} ({@code
   * BertForQuestionAnswering}), applied to every token's final state.
   */
  public double[][] tokenLogits(long[] ids, long[] types, String head) {
    double[][] x = hiddenStates(ids, types);
    double[][] out = new double[x.length][];
    for (int t = 0; t < x.length; t++) {
      out[t] = linear(x[t], head);
    }
    return out;
  }

  /** The mean of the last hidden states over the sequence's tokens (mean pooling, unnormalized). */
  public double[] meanPooled(long[] ids, long[] types) {
    double[][] x = hiddenStates(ids, types);
    double[] out = new double[hidden];
    for (double[] row : x) {
      for (int d = 0; d < hidden; d++) {
        out[d] += row[d] / x.length;
      }
    }
    return out;
  }

  private static double[] tanh(double[] v) {
    double[] out = new double[v.length];
    for (int d = 0; d < v.length; d++) {
      out[d] = Math.tanh(v[d]);
    }
    return out;
  }

  /** The last hidden states (tokens × hidden) of one sequence. */
  public double[][] hiddenStates(long[] ids, long[] types) {
    boolean distil = type.equals("distilbert");
    boolean bert = type.equals("bert");
    String e = prefix + "embeddings.";
    int n = ids.length;
    double[] word = w(e + "word_embeddings.weight");
    double[] pos = w(e + "position_embeddings.weight");
    double[] type = distil ? null : w(e + "token_type_embeddings.weight");
    double[][] x = new double[n][hidden];
    for (int t = 0; t < n; t++) {
      int typeRow = bert ? (int) types[t] : 0; // RoBERTa's tokenizers give no type ids
      for (int h = 0; h < hidden; h++) {
        x[t][h] =
            word[(int) ids[t] * hidden + h]
                + pos[(firstPosition + t) * hidden + h]
                + (type == null ? 0 : type[typeRow * hidden + h]);
      }
      x[t] = layerNorm(x[t], e + "LayerNorm");
    }
    int size = hidden / heads;
    for (int l = 0; l < layers; l++) {
      String p = prefix + (distil ? "transformer.layer." : "encoder.layer.") + l + ".";
      String[] names = TinyEncoders.layerModules(distil);
      double[][] q = new double[n][];
      double[][] k = new double[n][];
      double[][] v = new double[n][];
      for (int t = 0; t < n; t++) {
        q[t] = linear(x[t], p + names[0]);
        k[t] = linear(x[t], p + names[1]);
        v[t] = linear(x[t], p + names[2]);
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
        double[] attn = layerNorm(add(linear(context, p + names[3]), x[i]), p + names[4]);
        double[] inter = linear(attn, p + names[5]);
        for (int d = 0; d < inter.length; d++) {
          inter[d] = 0.5 * inter[d] * (1 + erf(inter[d] / Math.sqrt(2)));
        }
        next[i] = layerNorm(add(linear(inter, p + names[6]), attn), p + names[7]);
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
