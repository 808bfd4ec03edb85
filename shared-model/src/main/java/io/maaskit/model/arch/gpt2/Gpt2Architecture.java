package io.maaskit.model.arch.gpt2;

import ai.djl.ndarray.NDManager;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.GenerationConfig;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TensorLayout;
import io.maaskit.model.arch.decoder.DecoderGenerator;
import io.maaskit.model.arch.huggingface.HfCheckpoint;
import io.maaskit.model.arch.huggingface.HfGenerationConfig;
import io.maaskit.model.arch.huggingface.HfTextTokenizer;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Weights;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Registers the {@code gpt2} architecture: Hugging Face {@code GPT2LMHeadModel} checkpoints, with
 * or without the {@code transformer.} prefix on tensor names, as a {@link Capability#GENERATOR}.
 */
public final class Gpt2Architecture implements Architecture {
  @Override
  public String name() {
    return "gpt2";
  }

  @Override
  public Set<String> huggingFaceModelTypes() {
    return Set.of("gpt2");
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.GENERATOR);
  }

  @Override
  public LoadedModel load(ModelManifest manifest, PackageFiles files, Engine runtime)
      throws IOException {
    EagerEngine engine = EagerEngine.of(runtime);
    byte[] configJson = HfCheckpoint.bytes(files, "config.json");
    Gpt2Config config = Gpt2Config.parse(configJson);
    Map<String, Safetensors.Tensor> tensors =
        HfCheckpoint.read(files, manifest.file(HfCheckpoint.INDEX) != null);
    HfTextTokenizer tokenizer = HfTextTokenizer.of(HfCheckpoint.bytes(files, "tokenizer.json"));
    NDManager manager = engine.newManager();
    try {
      GenerationConfig generation =
          HfGenerationConfig.read(
              configJson,
              HfCheckpoint.optional(files, HfGenerationConfig.GENERATION_CONFIG),
              HfCheckpoint.optional(files, HfGenerationConfig.TOKENIZER_CONFIG),
              tokenizer);
      Gpt2Network network =
          new Gpt2Network(
              config,
              new Weights(tensors, manager, engine.computeType(), prefix(tensors)),
              new Weights(tensors, manager, engine.computeType(), ""),
              engine.computeType());
      return new DecoderGenerator(
          manifest, engine, manager, network, tokenizer, tokenizer, generation);
    } catch (IOException | RuntimeException e) {
      tokenizer.close();
      manager.close();
      throw e;
    }
  }

  /**
   * {@code c_attn}, {@code c_proj}, {@code c_fc} and the MLP's {@code c_proj} are {@code
   * LINEAR_WEIGHT}s, though stored (in, out) as Conv1D; {@code wte} and {@code wpe} are {@code
   * EMBEDDING_TABLE}s.
   */
  @Override
  public TensorLayout layout(PackageFiles files) throws IOException {
    Gpt2Config config = Gpt2Config.parse(HfCheckpoint.bytes(files, "config.json"));
    Map<String, Safetensors.Tensor> tensors =
        HfCheckpoint.read(files, HfCheckpoint.isSharded(files));
    String p = prefix(tensors);
    Map<String, TensorLayout.Role> roles = new LinkedHashMap<>();
    roles.put(p + "wte.weight", TensorLayout.Role.EMBEDDING_TABLE);
    roles.put(p + "wpe.weight", TensorLayout.Role.EMBEDDING_TABLE);
    for (int i = 0; i < config.layers(); i++) {
      String b = p + "h." + i + ".";
      for (String l : new String[] {"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"}) {
        roles.put(b + l + ".weight", TensorLayout.Role.LINEAR_WEIGHT);
        roles.put(b + l + ".bias", TensorLayout.Role.OTHER);
      }
      for (String n : new String[] {"ln_1", "ln_2"}) {
        roles.put(b + n + ".weight", TensorLayout.Role.OTHER);
        roles.put(b + n + ".bias", TensorLayout.Role.OTHER);
      }
    }
    roles.put(p + "ln_f.weight", TensorLayout.Role.OTHER);
    roles.put(p + "ln_f.bias", TensorLayout.Role.OTHER);
    if (!config.tied()) {
      roles.put("lm_head.weight", TensorLayout.Role.LINEAR_WEIGHT);
    }
    return new TensorLayout(Map.copyOf(roles));
  }

  /**
   * {@code transformer.} when the checkpoint was saved from {@code GPT2LMHeadModel}, else empty.
   */
  static String prefix(Map<String, Safetensors.Tensor> tensors) {
    return tensors.containsKey("transformer.wte.weight") ? "transformer." : "";
  }
}
