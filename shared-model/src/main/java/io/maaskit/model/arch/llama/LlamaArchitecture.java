package io.maaskit.model.arch.llama;

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
 * Registers the {@code llama} architecture: Hugging Face {@code LlamaForCausalLM}, {@code
 * MistralForCausalLM} and {@code Qwen2ForCausalLM} checkpoints (SmolLM2, TinyLlama, Llama 3.x,
 * Mistral, Qwen2/2.5), as a {@link Capability#GENERATOR}. A package holds {@code config.json},
 * {@code tokenizer.json}, {@code model.safetensors} (or shards with {@code
 * model.safetensors.index.json}) and optionally {@code generation_config.json} and {@code
 * tokenizer_config.json}.
 */
public final class LlamaArchitecture implements Architecture {
  @Override
  public String name() {
    return "llama";
  }

  @Override
  public Set<String> huggingFaceModelTypes() {
    return Set.of("llama", "mistral", "qwen2");
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.GENERATOR);
  }

  @Override
  public LoadedModel load(ModelManifest manifest, PackageFiles files, Engine runtime)
      throws IOException {
    EagerEngine engine = EagerEngine.of(runtime);
    LlamaConfig config = LlamaConfig.parse(HfCheckpoint.bytes(files, "config.json"));
    Map<String, Safetensors.Tensor> tensors =
        HfCheckpoint.read(files, manifest.file(HfCheckpoint.INDEX) != null);
    HfTextTokenizer tokenizer = HfTextTokenizer.of(HfCheckpoint.bytes(files, "tokenizer.json"));
    NDManager manager = engine.newManager();
    try {
      GenerationConfig generation =
          HfGenerationConfig.read(
              HfCheckpoint.bytes(files, "config.json"),
              HfCheckpoint.optional(files, HfGenerationConfig.GENERATION_CONFIG),
              HfCheckpoint.optional(files, HfGenerationConfig.TOKENIZER_CONFIG),
              tokenizer);
      LlamaNetwork network =
          new LlamaNetwork(
              config,
              new Weights(tensors, manager, engine.computeType(), ""),
              manager,
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
   * The seven projections of every layer (and an untied LM head) are {@code LINEAR_WEIGHT}s; the
   * token embedding table is an {@code EMBEDDING_TABLE}.
   */
  @Override
  public TensorLayout layout(PackageFiles files) throws IOException {
    LlamaConfig config = LlamaConfig.parse(HfCheckpoint.bytes(files, "config.json"));
    Map<String, TensorLayout.Role> roles = new LinkedHashMap<>();
    roles.put("model.embed_tokens.weight", TensorLayout.Role.EMBEDDING_TABLE);
    String[] linear = {
      "self_attn.q_proj",
      "self_attn.k_proj",
      "self_attn.v_proj",
      "self_attn.o_proj",
      "mlp.gate_proj",
      "mlp.up_proj",
      "mlp.down_proj"
    };
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      for (String l : linear) {
        roles.put("model.layers." + i + "." + l + ".weight", TensorLayout.Role.LINEAR_WEIGHT);
      }
      for (String n : new String[] {"input_layernorm", "post_attention_layernorm"}) {
        roles.put("model.layers." + i + "." + n + ".weight", TensorLayout.Role.OTHER);
      }
      if (config.qkvBias()) {
        for (String b : new String[] {"q_proj", "k_proj", "v_proj"}) {
          roles.put("model.layers." + i + ".self_attn." + b + ".bias", TensorLayout.Role.OTHER);
        }
      }
    }
    roles.put("model.norm.weight", TensorLayout.Role.OTHER);
    if (!config.tied()) {
      roles.put("lm_head.weight", TensorLayout.Role.LINEAR_WEIGHT);
    }
    return new TensorLayout(Map.copyOf(roles));
  }
}
