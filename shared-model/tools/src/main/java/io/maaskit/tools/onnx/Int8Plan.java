package io.maaskit.tools.onnx;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.pkg.LinearQuantization;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.tools.onnx.CompileOptions.Int8Kernel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which int8 kernel each linear layer of a compiled graph runs, and how its input is smoothed: the
 * quantizer's per-layer decisions. They travel in the package: kernels, α and errors in the
 * manifest's {@code quantization.linears}, the smoothing factors in {@value #FILE}, so compiling
 * the package again gives the same graph.
 *
 * <p>Smoothing: the layer's input is centred and scaled channel-wise, {@code x' = (x - z) / s}, the
 * weight's columns multiplied by {@code s} and {@code z Wᵀ} added to the bias, so {@code x' W'ᵀ +
 * b'} = {@code x Wᵀ + b}. {@code z_k} is the middle of channel {@code k}'s range on the calibration
 * inputs (a shift, as in Outlier Suppression+: BERT's outlier channels sit far from zero with one
 * sign) and {@code s_k = h_k^α / max|W_·k|^(1-α)} with {@code h_k} the half-range (SmoothQuant), so
 * the few channels whose activations are orders of magnitude larger than the rest no longer set the
 * one scale the dynamic kernel quantizes the whole tensor with.
 *
 * @param linears one choice per linear layer, in graph order
 */
public record Int8Plan(List<Choice> linears) {
  /** Package file holding the smoothing factors, one {@code F32 [in]} tensor per smoothed layer. */
  public static final String FILE = "int8-smoothing.safetensors";

  /** Suffix of a layer's smoothing tensor ({@code s}) in {@link #FILE}. */
  public static final String SMOOTH = ".smooth";

  /** Suffix of a layer's shift tensor ({@code z}) in {@link #FILE}. */
  public static final String SHIFT = ".shift";

  public Int8Plan {
    linears = List.copyOf(linears);
  }

  /**
   * One layer's decision.
   *
   * @param name the layer (as the compiler names it, e.g. {@code
   *     encoder.layer.0.attention.self.qkv})
   * @param kernel the int8 kernel
   * @param alpha smoothing strength, or null for none (blockwise layers are never smoothed)
   * @param smooth the factors {@code s}, {@code [in]}, or null
   * @param shift the shift {@code z}, {@code [in]}, or null (present with {@code smooth})
   * @param dynamicError measured relative output error of the dynamic kernel with this smoothing;
   *     NaN when not measured
   * @param blockwiseError the same for the blockwise kernel; NaN when not measured
   */
  public record Choice(
      String name,
      Int8Kernel kernel,
      Double alpha,
      float[] smooth,
      float[] shift,
      double dynamicError,
      double blockwiseError) {
    /** The same layer on the blockwise kernel, unsmoothed. */
    public Choice blockwise() {
      return new Choice(name, Int8Kernel.BLOCKWISE, null, null, null, dynamicError, blockwiseError);
    }
  }

  /** The choice for a layer, or null when the plan does not name it. */
  public Choice choice(String name) {
    for (Choice c : linears) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    return null;
  }

  /** Number of layers on the dynamic kernel. */
  public long dynamicLayers() {
    return linears.stream().filter(c -> c.kernel() == Int8Kernel.DYNAMIC).count();
  }

  /**
   * This plan with only the named layers on the dynamic kernel (as this plan has them), every other
   * layer on the blockwise kernel.
   */
  public Int8Plan withDynamic(java.util.Collection<String> names) {
    Set<String> keep = Set.copyOf(names);
    List<Choice> out = new ArrayList<>(linears.size());
    for (Choice c : linears) {
      out.add(keep.contains(c.name()) ? c : c.blockwise());
    }
    return new Int8Plan(out);
  }

  /** The names of the layers, in graph order. */
  public List<String> names() {
    return linears.stream().map(Choice::name).toList();
  }

  /** Writes {@link #FILE} into a package directory (nothing when no layer is smoothed). */
  public void writeSmoothing(Path dir) throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Choice c : linears) {
      if (c.smooth() != null) {
        tensors.put(c.name() + SMOOTH, Tensor.ofFloats(c.smooth(), c.smooth().length));
        tensors.put(c.name() + SHIFT, Tensor.ofFloats(c.shift(), c.shift().length));
      }
    }
    if (!tensors.isEmpty()) {
      Safetensors.write(dir.resolve(FILE), tensors, Map.of("format", "maaskit-int8-smoothing"));
    }
  }

  /** The manifest's record of the decisions ({@code quantization.linears}). */
  public Map<String, LinearQuantization> manifestEntries() {
    Map<String, LinearQuantization> out = new LinkedHashMap<>();
    for (Choice c : linears) {
      boolean dynamic = c.kernel() == Int8Kernel.DYNAMIC;
      out.put(
          c.name(),
          new LinearQuantization(
              c.kernel().name().toLowerCase(java.util.Locale.ROOT),
              c.alpha(),
              figure(dynamic ? c.dynamicError() : c.blockwiseError()),
              figure(c.dynamicError()),
              figure(c.blockwiseError())));
    }
    return out;
  }

  /**
   * The plan a package records, or null when its manifest records none (every layer then takes
   * {@link CompileOptions#int8Kernel()}).
   */
  public static Int8Plan read(ModelManifest manifest, Architecture.PackageFiles files)
      throws IOException {
    if (manifest.quantization() == null || manifest.quantization().linears() == null) {
      return null;
    }
    Map<String, LinearQuantization> entries = manifest.quantization().linears();
    boolean smoothed = entries.values().stream().anyMatch(e -> e.smoothing() != null);
    Map<String, Tensor> smoothing = smoothed ? Safetensors.read(files.bytes(FILE), FILE) : Map.of();
    List<Choice> out = new ArrayList<>();
    for (Map.Entry<String, LinearQuantization> e : entries.entrySet()) {
      LinearQuantization l = e.getValue();
      float[] s = null;
      float[] z = null;
      if (l.smoothing() != null) {
        Tensor t = smoothing.get(e.getKey() + SMOOTH);
        Tensor u = smoothing.get(e.getKey() + SHIFT);
        if (t == null || u == null) {
          throw new IOException(
              FILE
                  + " lacks "
                  + e.getKey()
                  + SMOOTH
                  + " or "
                  + SHIFT
                  + ", which the manifest names");
        }
        s = t.toFloats();
        z = u.toFloats();
      }
      out.add(
          new Choice(
              e.getKey(),
              Int8Kernel.parse(l.kernel()),
              l.smoothing(),
              s,
              z,
              value(l.dynamicError()),
              value(l.blockwiseError())));
    }
    return new Int8Plan(out);
  }

  private static Double figure(double v) {
    return Double.isNaN(v) ? null : Math.ceil(v * 1e6) / 1e6; // ceil: never report less error
  }

  private static double value(Double v) {
    return v == null ? Double.NaN : v;
  }
}
