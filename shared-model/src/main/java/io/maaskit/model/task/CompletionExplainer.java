package io.maaskit.model.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.maaskit.model.arch.ExplainableGenerator;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextGenerator.KvCache;
import io.maaskit.model.engine.EagerEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * The methods behind {@link ExplainService#explainCompletion}: the completion's log-probability is
 * {@code f = sum_j log p(c_j | prompt, c_<j)}, and each prompt token's attribution is its share of
 * {@code f}.
 *
 * <ul>
 *   <li>Integrated Gradients over the prompt's input embeddings, from a baseline that keeps the
 *       special tokens and puts one stand-in token everywhere else, by the same Gauss-Legendre path
 *       integral as the classifier explanations; the completion's embeddings stay fixed, so the
 *       attributions sum to {@code f(prompt) - f(baseline)}.
 *   <li>Occlusion: for each non-special prompt token, {@code f(prompt) - f(prompt without it)},
 *       every variant scored through {@link TextGenerator#forward} (the model as served, its
 *       compiled graph on ONNX Runtime), the variants of a run batched in each step.
 * </ul>
 */
final class CompletionExplainer {
  /** Variants scored together (one cache each). */
  static final int VARIANTS_PER_RUN = 16;

  private CompletionExplainer() {}

  /**
   * Attributions of one completion.
   *
   * @param values per prompt token
   * @param perToken per completion token, per prompt token; null unless asked
   * @param logprobs per completion token, its log-probability given the prompt
   * @param baseline log p(completion | baseline) (Integrated Gradients; else NaN)
   */
  record Attribution(float[] values, float[][] perToken, double[] logprobs, double baseline) {}

  /**
   * The greedy completion of {@code prompt}: at most {@code max} tokens, ending with the first stop
   * token if one comes (it is part of what the model chose).
   */
  static int[] greedy(
      TextGenerator g, int[] prompt, int max, Set<Integer> stops, Admission.Ticket t) {
    int[] out = new int[max];
    int n = 0;
    try (KvCache c = g.newCache()) {
      float[] logits = t.run(prompt.length, () -> g.forward(List.of(c), List.of(prompt))[0]);
      while (true) {
        int next = ExplainService.argmax(logits);
        out[n++] = next;
        if (n == max || stops.contains(next)) {
          break;
        }
        logits = t.run(1, () -> g.forward(List.of(c), List.of(new int[] {next}))[0]);
      }
    }
    return Arrays.copyOf(out, n);
  }

  /**
   * Per prompt, per completion token, log p(c_j | prompt, c_<j) through the model as served: each
   * run prefills up to {@link #VARIANTS_PER_RUN} prompts and then feeds the completion one token
   * per step to all of them at once.
   */
  static double[][] score(
      TextGenerator g, List<int[]> prompts, int[] completion, Admission.Ticket t) {
    int c = completion.length;
    double[][] out = new double[prompts.size()][c];
    for (int from = 0; from < prompts.size(); from += VARIANTS_PER_RUN) {
      List<int[]> run = prompts.subList(from, Math.min(prompts.size(), from + VARIANTS_PER_RUN));
      int n = run.size();
      List<KvCache> caches = new ArrayList<>(n);
      try {
        for (int i = 0; i < n; i++) {
          caches.add(g.newCache());
        }
        long prefill = run.stream().mapToLong(p -> p.length).sum();
        float[][] logits = t.run(prefill, () -> g.forward(caches, run));
        for (int j = 0; ; j++) {
          for (int r = 0; r < n; r++) {
            out[from + r][j] = logProb(logits[r], completion[j]);
          }
          if (j == c - 1) {
            break;
          }
          List<int[]> step = Collections.nCopies(n, new int[] {completion[j]});
          logits = t.run(n, () -> g.forward(caches, step));
        }
      } finally {
        for (KvCache cache : caches) {
          cache.close();
        }
      }
    }
    return out;
  }

  /** {@code log softmax(logits)[token]} in double precision. */
  static double logProb(float[] logits, int token) {
    return io.maaskit.model.task.internal.Sampler.logSoftmax(logits)[token];
  }

  /** Positions of the prompt's non-special tokens: what occlusion deletes and IG replaces. */
  static int[] ordinary(boolean[] special) {
    return java.util.stream.IntStream.range(0, special.length).filter(i -> !special[i]).toArray();
  }

  /** Leave one prompt token out, on the model as served. */
  static Attribution occlusion(
      TextGenerator g,
      int[] prompt,
      boolean[] special,
      int[] completion,
      boolean perToken,
      Admission.Ticket t) {
    int[] at = ordinary(special);
    List<int[]> variants = new ArrayList<>(at.length + 1);
    variants.add(prompt);
    for (int i : at) {
      int[] v = new int[prompt.length - 1];
      System.arraycopy(prompt, 0, v, 0, i);
      System.arraycopy(prompt, i + 1, v, i, prompt.length - i - 1);
      variants.add(v);
    }
    double[][] lp = score(g, variants, completion, t);
    float[] values = new float[prompt.length];
    float[][] rows = perToken ? new float[completion.length][prompt.length] : null;
    double full = sum(lp[0]);
    for (int k = 0; k < at.length; k++) {
      values[at[k]] = (float) (full - sum(lp[k + 1]));
      if (rows != null) {
        for (int j = 0; j < completion.length; j++) {
          rows[j][at[k]] = (float) (lp[0][j] - lp[k + 1][j]);
        }
      }
    }
    return new Attribution(values, rows, lp[0], Double.NaN);
  }

  /**
   * Integrated Gradients of the completion's log-probability over the prompt's input embeddings.
   * With {@code perToken}, one path integral per completion token, whose sum (IG is linear in its
   * target) gives the total.
   */
  static Attribution integratedGradients(
      ExplainableGenerator m,
      int[] prompt,
      boolean[] special,
      int baselineId,
      int[] completion,
      int steps,
      boolean perToken,
      Admission.Ticket t) {
    int len = prompt.length;
    int c = completion.length;
    int n = len + c - 1;
    int[] seq = new int[n];
    System.arraycopy(prompt, 0, seq, 0, len);
    System.arraycopy(completion, 0, seq, len, c - 1);
    int[] base = seq.clone();
    for (int i : ordinary(special)) {
      base[i] = baselineId;
    }
    EagerEngine engine = m.engine();
    EagerEngine.Gradients grads = engine.gradients();
    engine.prepareThread();
    try (NDManager mg = engine.newManager()) {
      NDArray x = m.inputEmbeddings(seq, mg);
      NDArray x0 = m.inputEmbeddings(base, mg);
      long activation = m.activationElements(1, n);
      int targets = perToken ? c : 1;
      float[][] rows = new float[targets][];
      float[] values = new float[len];
      for (int target = 0; target < targets; target++) {
        NDArray pick = pick(mg, completion, m.vocabSize(), perToken ? target : -1);
        float[] v =
            ExplainService.pathIntegral(
                n,
                activation,
                steps,
                x,
                x0,
                mg,
                t,
                (path, w) -> {
                  path.setRequiresGradient(true);
                  boolean prev = grads.gradMode(true);
                  try {
                    NDArray f = completionLogProbs(m, path, len, pick).sum(new int[] {1});
                    grads.backward(f.mul(w).sum());
                  } finally {
                    grads.gradMode(prev);
                  }
                  return path.getGradient();
                });
        rows[target] = Arrays.copyOf(v, len);
        for (int i = 0; i < len; i++) {
          values[i] += rows[target][i];
        }
      }
      // f at the prompt and at the baseline, per completion token, as one batch of two.
      NDArray all = pick(mg, completion, m.vocabSize(), -1);
      float[] ends =
          t.run(2L * n, () -> completionLogProbs(m, x.concat(x0, 0), len, all).toFloatArray());
      double[] logprobs = new double[c];
      double baseline = 0;
      for (int j = 0; j < c; j++) {
        logprobs[j] = ends[j];
        baseline += ends[c + j];
      }
      return new Attribution(values, perToken ? rows : null, logprobs, baseline);
    }
  }

  /**
   * {@code (C, vocab)} float32: 1 at each completion token {@code c_j} in row {@code j} (only row
   * {@code only} unless it is negative), 0 elsewhere.
   */
  private static NDArray pick(NDManager mg, int[] completion, int vocab, int only) {
    float[] p = new float[completion.length * vocab];
    for (int j = 0; j < completion.length; j++) {
      if (only < 0 || only == j) {
        p[j * vocab + completion[j]] = 1f;
      }
    }
    return mg.create(p, new Shape(completion.length, vocab));
  }

  /**
   * Per row of {@code inputs} {@code (B, L + C - 1, H)}, per completion token, its log-probability
   * where {@code pick} selects it: {@code (B, C)} float32.
   */
  private static NDArray completionLogProbs(
      ExplainableGenerator m, NDArray inputs, int promptLength, NDArray pick) {
    NDArray logits = m.logitsFromEmbeddings(inputs);
    long n = logits.getShape().get(1);
    NDArray predicting = logits.get(new NDIndex(":, {}:{}", promptLength - 1, n));
    return predicting.toType(DataType.FLOAT32, false).logSoftmax(-1).mul(pick).sum(new int[] {2});
  }

  private static double sum(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s;
  }
}
