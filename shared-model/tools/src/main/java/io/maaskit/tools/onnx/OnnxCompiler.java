package io.maaskit.tools.onnx;

import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.store.Progress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Compiles a model package into its ONNX graph, {@link EncoderGraph#FILE}, in the package
 * directory, through the {@link GraphCompiler} of the package's architecture. Import, quantize and
 * train call {@link #writeGraph} before they seal a new package; {@link #compile} adds a graph to
 * an existing, sealed package and re-seals its manifest (size and SHA-256 of the graph listed like
 * every other file).
 *
 * <pre>{@code
 * OnnxCompiler.Result r =
 *     OnnxCompiler.compile(Path.of("models/minilm/1"), CompileOptions.defaults(), progress);
 * r.bytes();  // size of model.onnx
 * }</pre>
 */
public final class OnnxCompiler {
  private OnnxCompiler() {}

  /**
   * What a compilation wrote.
   *
   * @param manifest the package's manifest (re-sealed by {@link #compile}; the draft otherwise)
   * @param bytes size of the graph file
   * @param ops node count per op type
   * @param millis wall time
   * @param linearBits decoders: bits of each weight matrix by name (32 for float32), in graph
   *     order; empty for graphs that do not note them
   */
  public record Result(
      ModelManifest manifest,
      long bytes,
      Map<String, Integer> ops,
      long millis,
      Map<String, Integer> linearBits) {}

  /** Whether a compiler registered for the manifest's architecture compiles this package. */
  public static boolean supports(ModelManifest manifest) {
    GraphCompiler c = GraphCompiler.forArchitecture(manifest.architecture());
    return c != null && c.compiles(manifest);
  }

  /**
   * Writes {@code dir/model.onnx} from the files in {@code dir} (read as they are: the caller just
   * wrote them) for a package described by {@code draft}; does not seal.
   *
   * @throws InvalidRequestException if no compiler handles the architecture
   */
  public static Result writeGraph(
      Path dir, ModelManifest draft, CompileOptions options, Progress progress) throws IOException {
    return writeGraph(dir, dir, draft, options, progress);
  }

  /**
   * Writes {@code to/model.onnx} from the files of the package in {@code from} that {@code
   * manifest} describes (the quantizer compiles a float32 package's weights into a package that
   * carries only the graph); does not seal.
   *
   * @throws InvalidRequestException if no compiler handles the architecture
   */
  public static Result writeGraph(
      Path from, Path to, ModelManifest manifest, CompileOptions options, Progress progress)
      throws IOException {
    long t0 = System.nanoTime();
    GraphCompiler compiler = GraphCompiler.forArchitecture(manifest.architecture());
    if (compiler == null) {
      throw new InvalidRequestException(
          "no ONNX compiler for architecture '"
              + manifest.architecture()
              + "'; the package keeps serving on PyTorch");
    }
    progress.update("building the ONNX graph of " + manifest.id(), 0, 2);
    OnnxGraphBuilder graph = new OnnxGraphBuilder(manifest.name());
    compiler.build(
        manifest,
        path -> {
          Path p = from.resolve(path);
          if (!Files.isRegularFile(p)) {
            throw new IOException("package " + manifest.id() + " lacks required file " + path);
          }
          return map(p);
        },
        options,
        graph);
    progress.update("writing " + EncoderGraph.FILE, 1, 2);
    long bytes = graph.write(to.resolve(EncoderGraph.FILE), producerVersion());
    progress.update("wrote " + EncoderGraph.FILE + " (" + bytes + " bytes)", 2, 2);
    return new Result(
        manifest,
        bytes,
        graph.opCounts(),
        (System.nanoTime() - t0) / 1_000_000,
        graph.linearBits());
  }

  /**
   * Compiles a sealed package in place: verifies its files against the manifest, writes (or
   * replaces) the graph and re-seals the manifest.
   */
  public static Result compile(Path dir, CompileOptions options, Progress progress)
      throws IOException {
    long t0 = System.nanoTime();
    ModelManifest manifest = ModelPackage.read(dir);
    if (manifest.file(EncoderGraph.FILE) != null
        && manifest.files().stream().noneMatch(f -> f.path().endsWith(".safetensors"))) {
      throw new InvalidRequestException(
          "package "
              + manifest.id()
              + " carries only its compiled graph (scripts/quantize wrote it from "
              + manifest.source().getOrDefault("quantizedFrom", "its float32 package")
              + "); there are no weights to compile it from again");
    }
    for (PackageFile f : manifest.files()) {
      if (!f.path().equals(EncoderGraph.FILE)) {
        ModelPackage.verify(f, dir.resolve(f.path()), dir.toString());
      }
    }
    Result r = writeGraph(dir, manifest, options, progress);
    ModelManifest sealed = ModelPackage.seal(dir, manifest);
    return new Result(
        sealed, r.bytes(), r.ops(), (System.nanoTime() - t0) / 1_000_000, r.linearBits());
  }

  private static String producerVersion() {
    String v = OnnxCompiler.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  private static ByteBuffer map(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
    }
  }
}
