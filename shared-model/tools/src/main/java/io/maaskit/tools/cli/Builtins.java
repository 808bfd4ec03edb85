package io.maaskit.tools.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The pretrained encoders that arrive through Maven Central (LangChain4j's embedding jars hold an
 * ONNX export and a tokenizer.json): the kit's embedded default and the models of the benchmarks.
 */
public final class Builtins {
  /** Builtin name → pooling. */
  public static final Map<String, String> POOLING =
      Map.of(
          "all-minilm-l6-v2", "mean",
          "all-minilm-l6-v2-q", "mean",
          "bge-small-en-v1.5", "cls",
          "bge-small-en-v1.5-q", "cls",
          "e5-small-v2", "mean",
          "e5-small-v2-q", "mean");

  /** Max sequence length as sentence-transformers configures each model. */
  public static final Map<String, Integer> MAX_LENGTH =
      Map.of(
          "all-minilm-l6-v2",
          256,
          "all-minilm-l6-v2-q",
          256,
          "bge-small-en-v1.5",
          512,
          "bge-small-en-v1.5-q",
          512,
          "e5-small-v2",
          512,
          "e5-small-v2-q",
          512);

  private Builtins() {}

  /**
   * Extracts {@code <name>.onnx} and {@code <name>-tokenizer.json} from the classpath into {@code
   * dir}.
   */
  public static Path[] extract(String name, Path dir) throws IOException {
    if (!POOLING.containsKey(name)) {
      throw new UsageException(
          "unknown builtin '" + name + "'; known: " + new java.util.TreeSet<>(POOLING.keySet()));
    }
    Files.createDirectories(dir);
    Path onnx = copy(name + ".onnx", dir);
    Path tok = copy(name + "-tokenizer.json", dir);
    return new Path[] {onnx, tok};
  }

  private static Path copy(String resource, Path dir) throws IOException {
    Path out = dir.resolve(resource);
    try (InputStream in = Builtins.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException(
            resource
                + " is not on the classpath: the LangChain4j embedding jar that carries it"
                + " is missing (run scripts via their wrappers, which put it there)");
      }
      Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
    }
    return out;
  }
}
