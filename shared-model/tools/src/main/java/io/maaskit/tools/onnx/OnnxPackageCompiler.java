package io.maaskit.tools.onnx;

import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.store.Progress;
import io.maaskit.training.PackageCompiler;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Gives packages that training writes their ONNX graph (registered as a {@link PackageCompiler});
 * architectures without a compiler are left as they are.
 */
public final class OnnxPackageCompiler implements PackageCompiler {
  @Override
  public void compile(Path dir, ModelManifest draft, Progress progress) throws IOException {
    if (OnnxCompiler.supports(draft)) {
      OnnxCompiler.writeGraph(dir, draft, CompileOptions.defaults(), progress);
    }
  }
}
