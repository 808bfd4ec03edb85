package io.maaskit.tools.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.it.TinyDecoders;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.TextGenerator;
import io.maaskit.model.arch.TextGenerator.KvCache;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.PackageFile;
import io.maaskit.model.store.Progress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A decoder weights file larger than one memory mapping covers (2 GiB; here a 100 kB limit stands
 * in for it) is re-sharded at import into bounded shards with an index, and the package computes
 * exactly what the single-file one does.
 */
class DecoderReshardTest {
  @TempDir Path tmp;

  @Test
  void anOversizedWeightsFileIsReshardedAndLoadsTheSame() throws IOException {
    Path hf = tmp.resolve("hf");
    TinyDecoders.write(TinyDecoders.Variant.of(TinyDecoders.Kind.LLAMA), hf, 1000);
    Path out = tmp.resolve("pkg");
    ModelManifest m =
        HfDirectoryImporter.importModel(
            hf,
            out,
            new ImportOptions("resharded", "1", null, false, null),
            Progress.NONE,
            100_000,
            60_000);
    List<String> shards =
        m.files().stream().map(PackageFile::path).filter(p -> p.startsWith("model-")).toList();
    assertTrue(shards.size() >= 5, "shards " + shards);
    for (String s : shards) {
      assertTrue(Files.size(out.resolve(s)) < 100_000, s);
    }
    assertTrue(m.file("model.safetensors.index.json") != null);
    assertTrue(m.file("model.safetensors") == null);
    EagerEngine engine = EagerEngine.start(EngineOptions.defaults());
    int[] prompt = {72, 101, 108, 108, 111};
    try (TextGenerator a = load(out, m, engine);
        TextGenerator b = load(TestModels.tinyLlama(), null, engine);
        KvCache ca = a.newCache();
        KvCache cb = b.newCache()) {
      assertArrayEquals(
          b.forward(List.of(cb), List.of(prompt))[0], a.forward(List.of(ca), List.of(prompt))[0]);
      assertEquals(b.vocabSize(), a.vocabSize());
    }
  }

  private static TextGenerator load(Path dir, ModelManifest m, Engine engine) throws IOException {
    ModelManifest manifest = m != null ? m : io.maaskit.model.pkg.ModelPackage.read(dir);
    return (TextGenerator)
        Architecture.forName(manifest.architecture())
            .load(manifest, p -> ByteBuffer.wrap(Files.readAllBytes(dir.resolve(p))), engine);
  }
}
