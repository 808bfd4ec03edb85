package io.maaskit.model.task.internal;

/**
 * Gauss-Legendre quadrature on [0, 1]: the nodes and weights Integrated Gradients integrates the
 * gradient path with. Exact for polynomials of degree 2n-1, it reaches a given completeness gap
 * with far fewer model evaluations than a Riemann sum (Captum's default for the same reason).
 */
public final class GaussLegendre {
  private GaussLegendre() {}

  /** Nodes (ascending) and weights (summing to 1) of an {@code n}-point rule on [0, 1]. */
  public record Rule(double[] nodes, double[] weights) {}

  /** The {@code n}-point rule, from Newton's iteration on the Legendre polynomial's roots. */
  public static Rule of(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1, got " + n);
    }
    double[] x = new double[n];
    double[] w = new double[n];
    for (int i = 0; i < (n + 1) / 2; i++) {
      double z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
      double dp;
      for (int iter = 0; ; iter++) {
        double p0 = 1;
        double p1 = 0;
        for (int j = 0; j < n; j++) {
          double p2 = p1;
          p1 = p0;
          p0 = ((2 * j + 1) * z * p1 - j * p2) / (j + 1);
        }
        dp = n * (z * p0 - p1) / (z * z - 1);
        double z1 = z;
        z = z1 - p0 / dp;
        if (Math.abs(z - z1) < 1e-15 || iter > 100) {
          break;
        }
      }
      double wi = 2 / ((1 - z * z) * dp * dp);
      // Map [-1, 1] to [0, 1]: node (1 ± z) / 2, weight halved.
      x[i] = (1 - z) / 2;
      x[n - 1 - i] = (1 + z) / 2;
      w[i] = wi / 2;
      w[n - 1 - i] = wi / 2;
    }
    return new Rule(x, w);
  }
}
