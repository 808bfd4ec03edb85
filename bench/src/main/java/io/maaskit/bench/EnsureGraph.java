package io.maaskit.bench;

import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.CompileOptions;
import io.maaskit.tools.onnx.OnnxCompiler;
import java.nio.file.Path;

/**
 * Makes sure the benchmark's packages list a compiled ONNX graph ({@link EncoderGraph#FILE}), so
 * the same bytes serve on ONNX Runtime and on PyTorch: a package without one (a tool that does not
 * yet compile, e.g. an older quantizer) gets it from the kit's own {@link OnnxCompiler}, which
 * re-seals its manifest. Prints what it did.
 *
 * <pre>
 * EnsureGraph --store bench/work/store all-minilm-l6-v2 all-minilm-l6-v2-int8
 * </pre>
 */
public final class EnsureGraph {
  private EnsureGraph() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3 || !args[0].equals("--store")) {
      throw new IllegalArgumentException("usage: EnsureGraph --store DIR PACKAGE...");
    }
    LocalModelStore store = new LocalModelStore(Path.of(args[1]));
    for (int i = 2; i < args.length; i++) {
      ModelId id = store.resolve(ModelId.parse(args[i]));
      Path dir = store.dir(id);
      ModelManifest m = ModelPackage.read(dir);
      boolean has = m.files().stream().anyMatch(f -> f.path().equals(EncoderGraph.FILE));
      if (has) {
        System.err.printf("[bench] %s lists %s%n", id, EncoderGraph.FILE);
        continue;
      }
      OnnxCompiler.Result r = OnnxCompiler.compile(dir, CompileOptions.defaults(), Progress.NONE);
      System.err.printf(
          "[bench] %s had no %s: compiled one (%d bytes, %d ms)%n",
          id, EncoderGraph.FILE, r.bytes(), r.millis());
    }
  }
}
