package io.maaskit.model.arch.gpt2;

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
   * GraphDecoderGenerator}; otherwise the eager {@link Gpt2Network} runs.
   */
  @Override
  public LoadedModel load(ModelManifest manifest, PackageFiles files, Engine runtime)
      throws IOException {
    byte[] configJson = HfCheckpoint.bytes(files, "config.json");
    Gpt2Config config = Gpt2Config.parse(configJson);
    if (runtime.runsGraphs()) {
      return loadGraph(manifest, files, runtime, config, configJson);
    }
    EagerEngine engine = EagerEngine.of(runtime);
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
              Gpt2Tensors.of(tensors),
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

  private static LoadedModel loadGraph(
      ModelManifest manifest,
      PackageFiles files,
      Engine engine,
      Gpt2Config config,
      byte[] configJson)
      throws IOException {
    HfTextTokenizer tokenizer = HfTextTokenizer.of(HfCheckpoint.bytes(files, "tokenizer.json"));
    CompiledGraph graph = null;
    try {
      GenerationConfig generation =
          HfGenerationConfig.read(
              configJson,
              HfCheckpoint.optional(files, HfGenerationConfig.GENERATION_CONFIG),
              HfCheckpoint.optional(files, HfGenerationConfig.TOKENIZER_CONFIG),
              tokenizer);
      ByteBuffer onnx = files.bytes(DecoderGraph.FILE);
      long size = onnx.remaining();
      graph = engine.openGraph(onnx, manifest.id().toString());
      return new GraphDecoderGenerator(
          manifest,
          engine,
          graph,
          new DecoderGraph.Shape(
              config.layers(), config.heads(), config.headSize(), config.vocabSize(), true),
          config.positions(),
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

  /**
   * {@code c_attn}, {@code c_proj}, {@code c_fc} and the MLP's {@code c_proj} are {@code
   * LINEAR_WEIGHT}s, though stored (in, out) as Conv1D; {@code wte} and {@code wpe} are {@code
   * EMBEDDING_TABLE}s ({@link Gpt2Tensors}).
   */
  @Override
  public TensorLayout layout(PackageFiles files) throws IOException {
    Gpt2Config config = Gpt2Config.parse(HfCheckpoint.bytes(files, "config.json"));
    return Gpt2Tensors.of(HfCheckpoint.read(files, HfCheckpoint.isSharded(files))).layout(config);
  }
}
