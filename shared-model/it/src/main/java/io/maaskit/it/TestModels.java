package io.maaskit.it;

import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.importer.ImportOptions;
import io.maaskit.tools.importer.OnnxBertImporter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Real pretrained weights for tests: the ONNX exports inside LangChain4j's embedding jars (test
 * dependencies from Maven Central), extracted and imported once per build under {@code target/}.
 */
public final class TestModels {
  private static final Path ROOT = Path.of("target", "test-models").toAbsolutePath();

  private TestModels() {}

  /** Extracts a classpath resource (e.g. {@code all-minilm-l6-v2.onnx}) to disk once. */
  public static synchronized Path resource(String name) throws IOException {
    Path out = ROOT.resolve("raw").resolve(name);
    if (Files.isRegularFile(out)) {
      return out;
    }
    Files.createDirectories(out.getParent());
    try (InputStream in = TestModels.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException(
            "test resource " + name + " not on the classpath (LangChain4j embedding jar missing?)");
      }
      Path tmp = out.resolveSibling(name + ".tmp");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
    }
    return out;
  }

  /** An imported package of a LangChain4j ONNX model, e.g. {@code all-minilm-l6-v2}. */
  public static synchronized Path imported(String base, String pooling, int maxLen)
      throws IOException {
    Path dir = ROOT.resolve("packages").resolve(base).resolve("1");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      return dir;
    }
    OnnxBertImporter.importModel(
        resource(base + ".onnx"),
        resource(base + "-tokenizer.json"),
        dir,
        new ImportOptions(base, "1", pooling, true, maxLen),
        Progress.NONE);
    ModelPackage.read(dir);
    return dir;
  }

  /** all-MiniLM-L6-v2 (fp32), mean pooling, 256 tokens. */
  public static Path miniLm() throws IOException {
    return imported("all-minilm-l6-v2", "mean", 256);
  }

  /** Name of the small classifier {@link #topicClassifier()} trains. */
  public static final String TOPICS = "test-topics";

  /**
   * A real classification package, {@value #TOPICS} (labels {@code sports}, {@code cooking}),
   * trained once per build with the kit's own training job on a frozen all-MiniLM-L6-v2.
   */
  public static synchronized Path topicClassifier() throws Exception {
    Path root = storeRoot();
    Path dir = root.resolve(TOPICS).resolve("1");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      return dir;
    }
    Path data = ROOT.resolve("topics.jsonl");
    StringBuilder jsonl = new StringBuilder();
    String[] sports = {
      "won the match after a late goal",
      "lost the final on penalties",
      "scored twice in the second half",
      "will play the semi-final on Saturday",
      "signed a new striker before the season",
      "kept a clean sheet away from home"
    };
    String[] cooking = {
      "simmer the onions in butter until golden",
      "whisk the eggs with sugar and flour",
      "bake the bread for forty minutes",
      "season the soup with salt and pepper",
      "roast the vegetables with olive oil",
      "knead the dough and let it rest overnight"
    };
    String[] who = {"The team", "Our club", "The visitors", "The champions"};
    for (String w : who) {
      for (int i = 0; i < sports.length; i++) {
        jsonl
            .append("{\"text\": \"")
            .append(w)
            .append(' ')
            .append(sports[i])
            .append(".\", \"label\": \"sports\"}\n");
        jsonl
            .append("{\"text\": \"")
            .append(
                w.replace("The team", "Grandma")
                    .replace("Our club", "The chef")
                    .replace("The visitors", "My neighbour")
                    .replace("The champions", "The baker"))
            .append(" said to ")
            .append(cooking[i])
            .append(".\", \"label\": \"cooking\"}\n");
      }
    }
    Files.writeString(data, jsonl.toString());
    io.maaskit.model.store.LocalModelStore store = new io.maaskit.model.store.LocalModelStore(root);
    io.maaskit.training.TrainingJob job =
        new io.maaskit.training.TrainingJob(
            store,
            io.maaskit.model.engine.Engine.start(io.maaskit.model.engine.EngineOptions.defaults()),
            io.maaskit.training.DatasetSource.local());
    job.run(
        io.maaskit.training.TrainingRequest.of("all-minilm-l6-v2", data.toString(), TOPICS),
        io.maaskit.training.TrainingProgress.NONE);
    return dir;
  }

  /** The root of the test store, {@code <root>/<name>/<version>/}. */
  public static Path storeRoot() throws IOException {
    miniLm();
    return ROOT.resolve("packages");
  }
}
