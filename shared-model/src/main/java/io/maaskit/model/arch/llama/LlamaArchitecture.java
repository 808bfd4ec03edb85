package io.maaskit.model.arch.llama;

import ai.djl.ndarray.NDManager;
import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.GenerationConfig;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TensorLayout;
import io.maaskit.model.arch.decoder.DecoderGenerator;
import io.maaskit.model.arch.decoder.DecoderGraph;
import io.maaskit.model.arch.decoder.GraphDecoderGenerator;
import io.maaskit.model.arch.huggingface.HfCheckpoint;
import io.maaskit.model.arch.huggingface.HfGenerationConfig;
import io.maaskit.model.arch.huggingface.HfTextTokenizer;
import io.maaskit.model.engine.CompiledGraph;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.Safetensors;
import io.maaskit.model.engine.Weights;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;

/**
 * Registers the {@code llama} architecture: Hugging Face {@code LlamaForCausalLM}, {@code
 * MistralForCausalLM} and {@code Qwen2ForCausalLM} checkpoints (SmolLM2, TinyLlama, Llama 3.x,
 * Mistral, Qwen2/2.5), as a {@link Capability#GENERATOR}. A package holds {@code config.json},
 * {@code tokenizer.json}, {@code model.safetensors} (or shards with {@code
 * model.safetensors.index.json}) and optionally {@code generation_config.json} and {@code
 * tokenizer_config.json}; a package compiled for ONNX Runtime also lists {@code model.onnx} ({@link
 * DecoderGraph}).
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

  /**
   * The compiled graph where the package lists {@link DecoderGraph#FILE}; the eager network where
   * it carries safetensors (a graph-only package from {@code scripts/quantize} does not).
   */
  @Override
  public Set<Form> forms(ModelManifest manifest) {
    return HfCheckpoint.decoderForms(manifest);
  }

  /**
   * On an engine that {@link Engine#runsGraphs() runs graphs}, the package loads from {@link
   * DecoderGraph#FILE} (and never reads the safetensors) into the shared {@link
   * GraphDecoderGenerator}; otherwise the eager {@link LlamaNetwork} runs.
   */
  @Override
  public LoadedModel load(ModelManifest manifest, PackageFiles files, Engine runtime)
      throws IOException {
    LlamaConfig config = LlamaConfig.parse(HfCheckpoint.bytes(files, "config.json"));
    if (runtime.runsGraphs()) {
      return loadGraph(manifest, files, runtime, config);
    }
    EagerEngine engine = EagerEngine.of(runtime);
    Map<String, Safetensors.Tensor> tensors =
        HfCheckpoint.read(files, manifest.file(HfCheckpoint.INDEX) != null);
    HfTextTokenizer tokenizer = HfTextTokenizer.of(HfCheckpoint.bytes(files, "tokenizer.json"));
    NDManager manager = engine.newManager();
    try {
      GenerationConfig generation = generation(files, tokenizer);
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

  private static LoadedModel loadGraph(
      ModelManifest manifest, PackageFiles files, Engine engine, LlamaConfig config)
      throws IOException {
    HfTextTokenizer tokenizer = HfTextTokenizer.of(HfCheckpoint.bytes(files, "tokenizer.json"));
    CompiledGraph graph = null;
    try {
      GenerationConfig generation = generation(files, tokenizer);
      ByteBuffer onnx = files.bytes(DecoderGraph.FILE);
      long size = onnx.remaining();
      graph = engine.openGraph(onnx, manifest.id().toString());
      return new GraphDecoderGenerator(
          manifest,
          engine,
          graph,
          new DecoderGraph.Shape(
              config.numHiddenLayers(),
              config.kvHeads(),
              config.headSize(),
              config.vocabSize(),
              false),
          config.contextLength(),
          size,
          tokenizer,
          tokenizer,
          generation);
    } catch (IOException | RuntimeException e) {
      // Never leave a half-loaded model's native memory behind.
      if (graph != null) {
        graph.close();
      }
      tokenizer.close();
      throw e;
    }
  }

  private static GenerationConfig generation(PackageFiles files, HfTextTokenizer tokenizer)
      throws IOException {
    return HfGenerationConfig.read(
        HfCheckpoint.bytes(files, "config.json"),
        HfCheckpoint.optional(files, HfGenerationConfig.GENERATION_CONFIG),
        HfCheckpoint.optional(files, HfGenerationConfig.TOKENIZER_CONFIG),
        tokenizer);
  }

  /** The tensors {@link LlamaTensors#layout} lists for the package's config. */
  @Override
  public TensorLayout layout(PackageFiles files) throws IOException {
    return LlamaTensors.layout(LlamaConfig.parse(HfCheckpoint.bytes(files, "config.json")));
  }
}
