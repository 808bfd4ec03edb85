package io.maaskit.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.PolynomialDecayTracker;
import ai.djl.training.tracker.Tracker;
import io.maaskit.model.engine.EagerEngine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The training loop, on DJL's PyTorch engine: mini-batches in a seeded order, class-weighted
 * cross-entropy (optionally label-smoothed), gradients from autograd ({@link GradientCollector}),
 * DJL's AdamW with a linear warm-up then cosine or linear decay, and early stopping on the
 * validation loss that keeps the best epoch's weights.
 *
 * <p>The validation loss uses the same smoothing as training. That matters for early stopping: with
 * plain cross-entropy a fine-tuned encoder soon grows so confident that a handful of wrong
 * validation examples make the loss rise while accuracy still climbs; smoothing bounds the reward
 * for confidence, so the loss goes on tracking how many examples are right.
 */
final class ClassifierTrainer {
  private ClassifierTrainer() {}

  /** What is trained: logits for rows of the training or validation split, and the parameters. */
  interface Net {
    /** Head parameters by name ({@code classifier.weight}, {@code classifier.bias}). */
    Map<String, NDArray> head();

    /** Unfrozen encoder parameters by name; empty with a frozen encoder. */
    Map<String, NDArray> encoder();

    /**
     * Logits (B, labels) for the given rows; gradients are recorded when grad mode is on.
     *
     * @param validation rows index the validation split, else the training split
     * @param manager owns the result and intermediates
     */
    NDArray logits(boolean validation, int[] rows, NDManager manager);

    /** Grad-mode control of the engine the parameters live on. */
    EagerEngine.Gradients gradients();
  }

  /** The outcome: per-epoch history and the best epoch's weights and numbers. */
  record Outcome(
      List<EpochStats> history,
      int bestEpoch,
      Map<String, float[]> bestParameters,
      double trainLoss,
      double trainAccuracy,
      double validationLoss,
      double validationAccuracy,
      boolean stoppedEarly,
      int steps) {}

  /** Validation rows per forward pass. */
  static final int EVAL_BATCH = 64;

  /**
   * Trains {@code net} for at most {@code epochs} epochs.
   *
   * @param stage named in the epoch stats
   * @param headRate peak learning rate of the head's parameters
   * @param encoderRate peak learning rate of the encoder's parameters
   * @param hp batch size, warm-up, schedule, weight decay, patience and seed
   */
  static Outcome train(
      Net net,
      String stage,
      int epochs,
      double headRate,
      double encoderRate,
      int[] yTrain,
      int[] yVal,
      float[] classWeights,
      Hyperparameters hp,
      NDManager manager,
      TrainingProgress progress) {
    int n = yTrain.length;
    int stepsPerEpoch = (n + hp.batchSize() - 1) / hp.batchSize();
    int totalSteps = stepsPerEpoch * epochs;
    Tracker headLr = schedule(hp, (float) headRate, totalSteps);
    Optimizer headOpt = adamW(headLr, hp);
    Optimizer encOpt = adamW(schedule(hp, (float) encoderRate, totalSteps), hp);
    Random rng = new Random(hp.seed() + 1);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    List<EpochStats> history = new ArrayList<>();
    double best = Double.POSITIVE_INFINITY;
    int bestEpoch = 0;
    double[] bestNumbers = new double[4];
    Map<String, float[]> bestParams = snapshot(net);
    int sinceBest = 0;
    int steps = 0;
    boolean stoppedEarly = false;
    for (int epoch = 1; epoch <= epochs; epoch++) {
      long t0 = System.nanoTime();
      shuffle(order, rng);
      double lossSum = 0;
      long correct = 0;
      for (int s = 0; s < stepsPerEpoch; s++) {
        int from = s * hp.batchSize();
        int[] rows = java.util.Arrays.copyOfRange(order, from, Math.min(n, from + hp.batchSize()));
        int[] y = pick(yTrain, rows);
        try (NDManager m = manager.newSubManager()) {
          try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
            NDArray logits = net.logits(false, rows, m);
            NDArray loss = crossEntropy(logits, y, classWeights, hp.labelSmoothing(), m);
            gc.backward(loss);
            lossSum += loss.getFloat() * rows.length;
            correct += countCorrect(logits.toFloatArray(), y, (int) logits.getShape().get(1));
          }
          boolean prev = net.gradients().gradMode(false);
          try {
            update(headOpt, net.head(), net.gradients());
            update(encOpt, net.encoder(), net.gradients());
          } finally {
            net.gradients().gradMode(prev);
          }
        }
        steps++;
        // Each step (the console shows one line a second at most): fine-tuning encoder layers
        // takes minutes per epoch, and a command must not go quiet that long.
        progress.phase(
            stage + " epoch " + epoch + "/" + epochs + ": training steps", s + 1, stepsPerEpoch);
      }
      double[] val = validate(net, yVal, classWeights, hp.labelSmoothing(), manager);
      boolean improved = val[0] < best - 1e-7;
      double trainLoss = lossSum / n;
      double trainAcc = (double) correct / n;
      if (improved) {
        best = val[0];
        bestEpoch = epoch;
        bestParams = snapshot(net);
        bestNumbers = new double[] {trainLoss, trainAcc, val[0], val[1]};
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      EpochStats stats =
          new EpochStats(
              stage,
              epoch,
              epochs,
              trainLoss,
              val[0],
              val[1],
              headLr.getNewValue(Math.max(1, steps)),
              (System.nanoTime() - t0) / 1e9,
              improved);
      history.add(stats);
      progress.epoch(stats);
      if (!Double.isFinite(trainLoss)) {
        throw new IllegalStateException(
            "training diverged at epoch "
                + epoch
                + " (loss "
                + trainLoss
                + "); lower the learning rate");
      }
      if (sinceBest >= hp.patience() && epoch < epochs) {
        stoppedEarly = true;
        break;
      }
    }
    return new Outcome(
        List.copyOf(history),
        bestEpoch,
        bestParams,
        bestNumbers[0],
        bestNumbers[1],
        bestNumbers[2],
        bestNumbers[3],
        stoppedEarly,
        steps);
  }

  /** Linear warm-up from 0, then cosine or linear decay to 0 over the remaining steps. */
  static Tracker schedule(Hyperparameters hp, float base, int totalSteps) {
    int warm = (int) Math.round(hp.warmupFraction() * totalSteps);
    int decay = Math.max(1, totalSteps - warm);
    Tracker main =
        "linear".equals(hp.schedule())
            ? PolynomialDecayTracker.builder()
                .setBaseValue(base)
                .setEndLearningRate(0f)
                .setDecaySteps(decay)
                .optPower(1f)
                .build()
            : Tracker.cosine().setBaseValue(base).optFinalValue(0f).setMaxUpdates(decay).build();
    if (warm == 0) {
      return main;
    }
    return Tracker.warmUp()
        .setMainTracker(main)
        .optWarmUpSteps(warm)
        .optWarmUpBeginValue(0f)
        .build();
  }

  private static Optimizer adamW(Tracker lr, Hyperparameters hp) {
    return Optimizer.adamW()
        .optLearningRateTracker(lr)
        .optWeightDecays((float) hp.weightDecay())
        .build();
  }

  /**
   * One AdamW step per parameter, then the accumulated gradient is zeroed. Grad mode is off here.
   */
  private static void update(
      Optimizer opt, Map<String, NDArray> params, EagerEngine.Gradients gradients) {
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      try (NDArray grad = p.getGradient()) {
        opt.update(e.getKey(), p, grad);
      }
      gradients.zeroGrad(p);
    }
  }

  /**
   * Weighted mean over the batch of the cross-entropy against smoothed targets, as PyTorch's {@code
   * cross_entropy(weight=w, label_smoothing=eps)}: each row's target puts {@code 1 - eps + eps/C}
   * on its label and {@code eps/C} on every other, and rows weigh {@code w[y_i]}, normalized by
   * their sum. With {@code eps = 0} this is the weighted mean of -log p(true label).
   */
  static NDArray crossEntropy(
      NDArray logits, int[] y, float[] classWeights, double smoothing, NDManager m) {
    int b = y.length;
    int c = (int) logits.getShape().get(1);
    float off = (float) (smoothing / c);
    float on = (float) (1 - smoothing) + off;
    float[] target = new float[b * c];
    float[] w = new float[b];
    float wSum = 0;
    for (int i = 0; i < b; i++) {
      java.util.Arrays.fill(target, i * c, (i + 1) * c, off);
      target[i * c + y[i]] = on;
      w[i] = classWeights[y[i]];
      wSum += w[i];
    }
    NDArray nll =
        logits.logSoftmax(1).mul(m.create(target, new Shape(b, c))).sum(new int[] {1}).neg();
    // A tensor, not div(Number): DJL wraps a number in a buffer freed when the call returns, and
    // autograd reads it again in backward (the cause of IG's non-finite attributions, #22).
    return nll.mul(m.create(w)).sum().div(m.create(wSum));
  }

  /** [loss, accuracy] on the validation split, without recording gradients. */
  private static double[] validate(
      Net net, int[] yVal, float[] classWeights, double smoothing, NDManager manager) {
    boolean prev = net.gradients().gradMode(false);
    try {
      double lossSum = 0;
      double wSum = 0;
      long correct = 0;
      for (int from = 0; from < yVal.length; from += EVAL_BATCH) {
        int[] rows = new int[Math.min(EVAL_BATCH, yVal.length - from)];
        for (int i = 0; i < rows.length; i++) {
          rows[i] = from + i;
        }
        int[] y = pick(yVal, rows);
        float[] flat;
        int c;
        try (NDManager m = manager.newSubManager()) {
          NDArray logits = net.logits(true, rows, m);
          c = (int) logits.getShape().get(1);
          flat = logits.toFloatArray();
        }
        for (int i = 0; i < rows.length; i++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < c; j++) {
            max = Math.max(max, flat[i * c + j]);
          }
          double z = 0;
          for (int j = 0; j < c; j++) {
            z += Math.exp(flat[i * c + j] - max);
          }
          double logZ = max + Math.log(z);
          double nll = 0;
          for (int j = 0; j < c; j++) {
            double t = smoothing / c + (j == y[i] ? 1 - smoothing : 0);
            nll -= t * (flat[i * c + j] - logZ);
          }
          lossSum += classWeights[y[i]] * nll;
          wSum += classWeights[y[i]];
        }
        correct += countCorrect(flat, y, c);
      }
      return new double[] {lossSum / wSum, (double) correct / yVal.length};
    } finally {
      net.gradients().gradMode(prev);
    }
  }

  /** Copies of every trained parameter's values. */
  private static Map<String, float[]> snapshot(Net net) {
    Map<String, float[]> out = new LinkedHashMap<>();
    net.head().forEach((k, v) -> out.put(k, v.toFloatArray()));
    net.encoder().forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  private static long countCorrect(float[] flat, int[] y, int c) {
    long correct = 0;
    for (int i = 0; i < y.length; i++) {
      int best = 0;
      for (int j = 1; j < c; j++) {
        if (flat[i * c + j] > flat[i * c + best]) {
          best = j;
        }
      }
      if (best == y[i]) {
        correct++;
      }
    }
    return correct;
  }

  private static int[] pick(int[] values, int[] rows) {
    int[] out = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = values[rows[i]];
    }
    return out;
  }

  private static void shuffle(int[] a, Random rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** Balanced class weights n / (classes × n_c), or all ones. */
  static float[] classWeights(int[] y, int classes, String mode) {
    float[] w = new float[classes];
    java.util.Arrays.fill(w, 1f);
    if ("balanced".equals(mode)) {
      int[] counts = new int[classes];
      for (int v : y) {
        counts[v]++;
      }
      for (int c = 0; c < classes; c++) {
        w[c] = counts[c] == 0 ? 0f : (float) y.length / (classes * counts[c]);
      }
    }
    return w;
  }
}
