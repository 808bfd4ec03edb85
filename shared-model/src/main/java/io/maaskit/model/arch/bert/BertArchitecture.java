package io.maaskit.model.arch.bert;

import ai.djl.ndarray.NDManager;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.runtime.Safetensors;
import io.maaskit.model.runtime.TorchRuntime;
import io.maaskit.model.runtime.Weights;
import java.io.IOException;
import java.util.Map;

/** Registers the {@code bert} architecture: config.json + tokenizer.json + model.safetensors. */
public final class BertArchitecture implements Architecture {
  /** Weights file name inside a package. */
  public static final String WEIGHTS = "model.safetensors";

  @Override
  public String name() {
    return "bert";
  }

  @Override
  public LoadedModel load(ModelManifest manifest, PackageFiles files, TorchRuntime runtime)
      throws IOException {
    BertConfig config = BertConfig.parse(bytes(files, "config.json"));
    Map<String, Safetensors.Tensor> tensors = Safetensors.read(files.bytes(WEIGHTS), WEIGHTS);
    String prefix = tensors.containsKey("bert.embeddings.word_embeddings.weight") ? "bert." : "";
    int maxLen = Math.min(manifest.maxSequenceLength(), config.maxPositionEmbeddings());
    NDManager manager = runtime.newManager();
    BertTokenization tokenization = null;
    try {
      tokenization = new BertTokenization(files.bytes("tokenizer.json"), maxLen);
      Weights encoderWeights = new Weights(tensors, manager, runtime.computeType(), prefix);
      BertEncoder encoder = new BertEncoder(config, encoderWeights);
      BertHead head = null;
      if (ModelManifest.TASK_CLASSIFICATION.equals(manifest.task())) {
        if (config.labels().isEmpty()) {
          throw new IOException(
              "classification package " + manifest.id() + " has no id2label in config.json");
        }
        head =
            new BertHead(new Weights(tensors, manager, runtime.computeType(), ""), config.labels());
      }
      return new BertModel(manifest, manager, tokenization, encoder, head, runtime.computeType());
    } catch (IOException | RuntimeException e) {
      // Never leave a half-loaded model's native memory behind.
      if (tokenization != null) {
        tokenization.close();
      }
      manager.close();
      throw e;
    }
  }

  private static byte[] bytes(PackageFiles files, String path) throws IOException {
    java.nio.ByteBuffer b = files.bytes(path).duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
