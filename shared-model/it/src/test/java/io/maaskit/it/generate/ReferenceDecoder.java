package io.maaskit.it.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The test oracle: a deliberately naive decoder in plain Java, double precision, that shares no
 * code with the engine path. It parses {@code config.json} and the safetensors files itself (F32
 * and BF16, single or sharded), and recomputes the whole sequence for every prediction: no cache,
 * no batching, no fused or transposed weights, loops written from the Hugging Face model
 * definitions (Llama/Qwen2: RMSNorm, RoPE with rotate_half and Llama 3 frequency scaling, repeated
 * key/value heads, SiLU-gated MLP; GPT-2: LayerNorm, learned positions, Conv1D, gelu_new).
 */
final class ReferenceDecoder {
  private final JsonNode config;
  private final Map<String, double[]> tensors = new HashMap<>();
  private final Map<String, long[]> shapes = new HashMap<>();
  private final boolean gpt2;

  ReferenceDecoder(Path packageDir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    config = json.readTree(packageDir.resolve("config.json").toFile());
    gpt2 = config.path("model_type").asText().equals("gpt2");
    Path index = packageDir.resolve("model.safetensors.index.json");
    if (Files.exists(index)) {
      java.util.Set<String> files = new java.util.TreeSet<>();
      for (Iterator<JsonNode> it = json.readTree(index.toFile()).path("weight_map").elements();
          it.hasNext(); ) {
        files.add(it.next().asText());
      }
      for (String f : files) {
        readSafetensors(packageDir.resolve(f), json);
      }
    } else {
      readSafetensors(packageDir.resolve("model.safetensors"), json);
    }
  }

  private void readSafetensors(Path file, ObjectMapper json) throws IOException {
    io.maaskit.it.ReferenceWeights.read(file, tensors, shapes);
  }

  private double[] w(String name) {
    double[] t = tensors.get(name);
    if (t == null && tensors.containsKey("transformer." + name)) {
      t = tensors.get("transformer." + name);
    }
    if (t == null) {
      throw new IllegalArgumentException("reference: no tensor " + name);
    }
    return t;
  }

  private boolean has(String name) {
    return tensors.containsKey(name);
  }

  /** Log-probabilities of the token after {@code tokens} (natural log, over the vocabulary). */
  double[] nextLogProbs(int[] tokens) {
    double[] logits = gpt2 ? gpt2Logits(tokens) : llamaLogits(tokens);
    double max = Double.NEGATIVE_INFINITY;
    for (double l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (double l : logits) {
      sum += Math.exp(l - max);
    }
    double logZ = max + Math.log(sum);
    double[] out = new double[logits.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = logits[i] - logZ;
    }
    return out;
  }

  // ---------------------------------------------------------------- Llama / Qwen2

  private double[] llamaLogits(int[] tokens) {
    int n = tokens.length;
    int hidden = config.path("hidden_size").asInt();
    int heads = config.path("num_attention_heads").asInt();
    int kvHeads = config.path("num_key_value_heads").asInt(heads);
    int headDim = config.has("head_dim") ? config.path("head_dim").asInt() : hidden / heads;
    int inter = config.path("intermediate_size").asInt();
    int vocab = config.path("vocab_size").asInt();
    double eps = config.path("rms_norm_eps").asDouble();
    boolean qkvBias = config.path("model_type").asText().equals("qwen2");
    double[] inv = ropeFrequencies(headDim);
    double[] emb = w("model.embed_tokens.weight");
    double[][] x = new double[n][];
    for (int t = 0; t < n; t++) {
      x[t] = new double[hidden];
      System.arraycopy(emb, tokens[t] * hidden, x[t], 0, hidden);
    }
    for (int l = 0; l < config.path("num_hidden_layers").asInt(); l++) {
      String p = "model.layers." + l + ".";
      double[][] q = new double[n][];
      double[][] k = new double[n][];
      double[][] v = new double[n][];
      for (int t = 0; t < n; t++) {
        double[] h = rmsNorm(x[t], w(p + "input_layernorm.weight"), eps);
        q[t] = linear(w(p + "self_attn.q_proj.weight"), h, heads * headDim, hidden);
        k[t] = linear(w(p + "self_attn.k_proj.weight"), h, kvHeads * headDim, hidden);
        v[t] = linear(w(p + "self_attn.v_proj.weight"), h, kvHeads * headDim, hidden);
        if (qkvBias) {
          addInPlace(q[t], w(p + "self_attn.q_proj.bias"));
          addInPlace(k[t], w(p + "self_attn.k_proj.bias"));
          addInPlace(v[t], w(p + "self_attn.v_proj.bias"));
        }
        rope(q[t], heads, headDim, t, inv);
        rope(k[t], kvHeads, headDim, t, inv);
      }
      for (int t = 0; t < n; t++) {
        double[] attended = new double[heads * headDim];
        for (int hd = 0; hd < heads; hd++) {
          int kvh = hd / (heads / kvHeads); // repeat_kv
          attendHead(q, k, v, t, hd, kvh, headDim, attended);
        }
        addInPlace(
            x[t], linear(w(p + "self_attn.o_proj.weight"), attended, hidden, heads * headDim));
        double[] h = rmsNorm(x[t], w(p + "post_attention_layernorm.weight"), eps);
        double[] gate = linear(w(p + "mlp.gate_proj.weight"), h, inter, hidden);
        double[] up = linear(w(p + "mlp.up_proj.weight"), h, inter, hidden);
        double[] act = new double[inter];
        for (int i = 0; i < inter; i++) {
          act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
        }
        addInPlace(x[t], linear(w(p + "mlp.down_proj.weight"), act, hidden, inter));
      }
    }
    double[] last = rmsNorm(x[n - 1], w("model.norm.weight"), eps);
    boolean tied = config.path("tie_word_embeddings").asBoolean(false) || !has("lm_head.weight");
    return linear(tied ? emb : w("lm_head.weight"), last, vocab, hidden);
  }

  /** HF _compute_default_rope_parameters and, for rope_type llama3, _compute_llama3_parameters. */
  private double[] ropeFrequencies(int dim) {
    double base = config.path("rope_theta").asDouble(10000.0);
    double[] inv = new double[dim / 2];
    for (int i = 0; i < inv.length; i++) {
      inv[i] = 1.0 / Math.pow(base, (double) (2 * i) / dim);
    }
    JsonNode s = config.path("rope_scaling");
    if (s.path("rope_type").asText(s.path("type").asText("")).equals("llama3")) {
      double factor = s.path("factor").asDouble();
      double lowFreqFactor = s.path("low_freq_factor").asDouble();
      double highFreqFactor = s.path("high_freq_factor").asDouble();
      double oldContext = s.path("original_max_position_embeddings").asDouble();
      double lowFreqWavelen = oldContext / lowFreqFactor;
      double highFreqWavelen = oldContext / highFreqFactor;
      for (int i = 0; i < inv.length; i++) {
        double wavelen = 2 * Math.PI / inv[i];
        double scaled = wavelen > lowFreqWavelen ? inv[i] / factor : inv[i];
        double smooth = (oldContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        double smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
        boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
        inv[i] = medium ? smoothed : scaled;
      }
    }
    return inv;
  }

  /** q * cos + rotate_half(q) * sin per head, rotate_half(x) = (-x2, x1). */
  private static void rope(double[] vec, int heads, int dim, int position, double[] inv) {
    int half = dim / 2;
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < half; i++) {
        double angle = position * inv[i];
        double c = Math.cos(angle);
        double s = Math.sin(angle);
        int a = h * dim + i;
        int b = h * dim + i + half;
        double x1 = vec[a];
        double x2 = vec[b];
        vec[a] = x1 * c - x2 * s;
        vec[b] = x2 * c + x1 * s;
      }
    }
  }

  private static double[] rmsNorm(double[] x, double[] weight, double eps) {
    double ss = 0;
    for (double e : x) {
      ss += e * e;
    }
    double scale = 1.0 / Math.sqrt(ss / x.length + eps);
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] * scale * weight[i];
    }
    return out;
  }

  // ---------------------------------------------------------------- GPT-2

  private double[] gpt2Logits(int[] tokens) {
    int n = tokens.length;
    int hidden = config.path("n_embd").asInt();
    int heads = config.path("n_head").asInt();
    int headDim = hidden / heads;
    int inner = config.path("n_inner").isInt() ? config.path("n_inner").asInt() : 4 * hidden;
    int vocab = config.path("vocab_size").asInt();
    double eps = config.path("layer_norm_epsilon").asDouble(1e-5);
    double[] wte = w("wte.weight");
    double[] wpe = w("wpe.weight");
    double[][] x = new double[n][hidden];
    for (int t = 0; t < n; t++) {
      for (int i = 0; i < hidden; i++) {
        x[t][i] = wte[tokens[t] * hidden + i] + wpe[t * hidden + i];
      }
    }
    for (int l = 0; l < config.path("n_layer").asInt(); l++) {
      String p = "h." + l + ".";
      double[][] q = new double[n][];
      double[][] k = new double[n][];
      double[][] v = new double[n][];
      for (int t = 0; t < n; t++) {
        double[] h = layerNorm(x[t], w(p + "ln_1.weight"), w(p + "ln_1.bias"), eps);
        double[] qkv =
            conv1d(w(p + "attn.c_attn.weight"), w(p + "attn.c_attn.bias"), h, 3 * hidden);
        q[t] = java.util.Arrays.copyOfRange(qkv, 0, hidden);
        k[t] = java.util.Arrays.copyOfRange(qkv, hidden, 2 * hidden);
        v[t] = java.util.Arrays.copyOfRange(qkv, 2 * hidden, 3 * hidden);
      }
      for (int t = 0; t < n; t++) {
        double[] attended = new double[hidden];
        for (int hd = 0; hd < heads; hd++) {
          attendHead(q, k, v, t, hd, hd, headDim, attended);
        }
        addInPlace(
            x[t], conv1d(w(p + "attn.c_proj.weight"), w(p + "attn.c_proj.bias"), attended, hidden));
        double[] h = layerNorm(x[t], w(p + "ln_2.weight"), w(p + "ln_2.bias"), eps);
        double[] f = conv1d(w(p + "mlp.c_fc.weight"), w(p + "mlp.c_fc.bias"), h, inner);
        for (int i = 0; i < f.length; i++) {
          double z = f[i];
          f[i] = 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
        }
        addInPlace(x[t], conv1d(w(p + "mlp.c_proj.weight"), w(p + "mlp.c_proj.bias"), f, hidden));
      }
    }
    double[] last = layerNorm(x[n - 1], w("ln_f.weight"), w("ln_f.bias"), eps);
    return linear(wte, last, vocab, hidden);
  }

  private static double[] layerNorm(double[] x, double[] weight, double[] bias, double eps) {
    double mean = 0;
    for (double e : x) {
      mean += e;
    }
    mean /= x.length;
    double var = 0;
    for (double e : x) {
      var += (e - mean) * (e - mean);
    }
    var /= x.length;
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (x[i] - mean) / Math.sqrt(var + eps) * weight[i] + bias[i];
    }
    return out;
  }

  /** GPT-2's Conv1D: weight (in, out), y = x W + b. */
  private static double[] conv1d(double[] weight, double[] bias, double[] x, int out) {
    double[] y = bias.clone();
    for (int i = 0; i < x.length; i++) {
      for (int o = 0; o < out; o++) {
        y[o] += x[i] * weight[i * out + o];
      }
    }
    return y;
  }

  // ---------------------------------------------------------------- shared maths

  /** Causal softmax attention of query head {@code hd} at position {@code t} over 0..t. */
  private static void attendHead(
      double[][] q, double[][] k, double[][] v, int t, int hd, int kvh, int dim, double[] out) {
    double[] scores = new double[t + 1];
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j <= t; j++) {
      double s = 0;
      for (int i = 0; i < dim; i++) {
        s += q[t][hd * dim + i] * k[j][kvh * dim + i];
      }
      scores[j] = s / Math.sqrt(dim);
      max = Math.max(max, scores[j]);
    }
    double sum = 0;
    for (int j = 0; j <= t; j++) {
      scores[j] = Math.exp(scores[j] - max);
      sum += scores[j];
    }
    for (int j = 0; j <= t; j++) {
      for (int i = 0; i < dim; i++) {
        out[hd * dim + i] += scores[j] / sum * v[j][kvh * dim + i];
      }
    }
  }

  /** y = W x for a torch Linear weight (out, in). */
  private static double[] linear(double[] weight, double[] x, int out, int in) {
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double s = 0;
      for (int i = 0; i < in; i++) {
        s += weight[o * in + i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  private static void addInPlace(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
  }
}
