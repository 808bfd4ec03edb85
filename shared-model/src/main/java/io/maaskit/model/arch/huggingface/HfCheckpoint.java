package io.maaskit.model.arch.huggingface;

import com.google.gson.JsonElement;
import io.maaskit.model.arch.Architecture.PackageFiles;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Safetensors.Tensor;
import io.maaskit.model.pkg.PackageJson;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The weights of a Hugging Face checkpoint: one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json} ({@code weight_map}: tensor name to shard file). Tensors are
 * views of the files' bytes, in their stored dtype.
 */
public final class HfCheckpoint {
  /** The single-file weights. */
  public static final String WEIGHTS = "model.safetensors";

  /** The shard index of sharded weights. */
  public static final String INDEX = "model.safetensors.index.json";

  private HfCheckpoint() {}

  /**
   * The forms a decoder package can take: its compiled graph where it lists one, the eager network
   * where it carries safetensors (a graph-only package from {@code scripts/quantize} does not).
   */
  public static java.util.Set<io.maaskit.model.arch.Architecture.Form> decoderForms(
      io.maaskit.model.pkg.ModelManifest manifest) {
    boolean weights = manifest.file(WEIGHTS) != null || manifest.file(INDEX) != null;
    return weights
        ? io.maaskit.model.arch.Architecture.Form.graphIfListed(
            manifest, io.maaskit.model.arch.Architecture.Form.EAGER)
        : io.maaskit.model.arch.Architecture.Form.graphIfListed(manifest);
  }

  /**
   * Reads every tensor of a package.
   *
   * @param sharded whether the package has {@value #INDEX} (else {@value #WEIGHTS})
   */
  public static Map<String, Tensor> read(PackageFiles files, boolean sharded) throws IOException {
    if (!sharded) {
      return Safetensors.read(files.bytes(WEIGHTS), WEIGHTS);
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (String shard : shards(bytes(files, INDEX))) {
      out.putAll(Safetensors.read(files.bytes(shard), shard));
    }
    return out;
  }

  /** Shard file names of an index, in order. */
  public static TreeSet<String> shards(byte[] index) throws IOException {
    JsonElement map = PackageJson.get(PackageJson.object(index), "weight_map");
    if (!map.isJsonObject() || map.getAsJsonObject().isEmpty()) {
      throw new IOException(INDEX + " has no weight_map");
    }
    TreeSet<String> shards = new TreeSet<>();
    for (JsonElement e : map.getAsJsonObject().asMap().values()) {
      String f = e.isJsonPrimitive() ? e.getAsString() : "";
      if (f.contains("/") || f.contains("\\") || !f.endsWith(".safetensors")) {
        throw new IOException(INDEX + " names an invalid shard file '" + f + "'");
      }
      shards.add(f);
    }
    return shards;
  }

  /** Whether a package's files include {@value #INDEX}. */
  public static boolean isSharded(PackageFiles files) {
    try {
      files.bytes(INDEX);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** A whole file's bytes. */
  public static byte[] bytes(PackageFiles files, String path) throws IOException {
    java.nio.ByteBuffer b = files.bytes(path).duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** A file's bytes, or empty when the package lacks it. */
  public static java.util.Optional<byte[]> optional(PackageFiles files, String path) {
    try {
      return java.util.Optional.of(bytes(files, path));
    } catch (IOException | RuntimeException e) {
      return java.util.Optional.empty();
    }
  }
}
