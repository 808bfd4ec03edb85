package io.maaskit.model.registry;

import static io.maaskit.model.registry.EngineChoice.ONNXRUNTIME;
import static io.maaskit.model.registry.EngineChoice.PYTORCH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.PackageFile;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every branch of the per-package engine choice, and what each error tells the user to do. */
class EngineChoiceTest {
  private static final Set<String> BOTH = Set.of(PYTORCH, ONNXRUNTIME);
  private static final Set<String> ORT_ONLY = Set.of(ONNXRUNTIME);
  private static final Set<String> TORCH_ONLY = Set.of(PYTORCH);

  @Test
  void autoServesGraphsOnOnnxRuntimeOnACpu() {
    assertEquals(ONNXRUNTIME, EngineChoice.pick("auto", false, true, BOTH, "m@1"));
    assertEquals(ONNXRUNTIME, EngineChoice.pick("auto", false, true, ORT_ONLY, "m@1"));
  }

  @Test
  void autoServesOnPyTorchOnAGpuEvenWithAGraph() {
    assertEquals(PYTORCH, EngineChoice.pick("auto", true, true, BOTH, "m@1"));
    assertEquals(PYTORCH, EngineChoice.pick("auto", true, false, BOTH, "m@1"));
  }

  @Test
  void autoFallsBackToPyTorchForAPackageWithoutAGraph() {
    assertEquals(PYTORCH, EngineChoice.pick("auto", false, false, BOTH, "m@1"));
    assertEquals(PYTORCH, EngineChoice.pick("auto", false, true, TORCH_ONLY, "m@1"));
  }

  @Test
  void autoWithoutPyTorchRefusesAPackageWithoutAGraphAndSaysHowToCompileOne() {
    ModelUnavailableException e =
        assertThrows(
            ModelUnavailableException.class,
            () -> EngineChoice.pick("auto", false, false, ORT_ONLY, "all-minilm-l6-v2@1"));
    assertTrue(e.getMessage().contains("'all-minilm-l6-v2@1' has no ONNX graph (model.onnx)"));
    assertTrue(e.getMessage().contains("ONNX Runtime only"), e.getMessage());
    assertTrue(e.getMessage().contains("scripts/compile-onnx"), e.getMessage());
  }

  @Test
  void forcedOnnxRuntimeRefusesAPackageWithoutAGraph() {
    assertEquals(ONNXRUNTIME, EngineChoice.pick(ONNXRUNTIME, false, true, BOTH, "m@1"));
    ModelUnavailableException e =
        assertThrows(
            ModelUnavailableException.class,
            () -> EngineChoice.pick(ONNXRUNTIME, false, false, BOTH, "m@1"));
    assertTrue(e.getMessage().contains("has no ONNX graph (model.onnx)"), e.getMessage());
    assertTrue(e.getMessage().contains("scripts/compile-onnx"), e.getMessage());
    assertTrue(e.getMessage().contains("set the engine to auto"), e.getMessage());
  }

  @Test
  void forcedPyTorchServesEveryPackageOnPyTorch() {
    assertEquals(PYTORCH, EngineChoice.pick(PYTORCH, false, true, BOTH, "m@1"));
    assertEquals(PYTORCH, EngineChoice.pick(PYTORCH, false, false, BOTH, "m@1"));
  }

  @Test
  void hasGraphLooksForTheCompiledGraphFile() {
    assertTrue(EngineChoice.hasGraph(manifest("model.safetensors", "model.onnx")));
    assertFalse(EngineChoice.hasGraph(manifest("model.safetensors", "tokenizer.json")));
    assertFalse(EngineChoice.hasGraph(manifest("onnx/model.onnx")));
  }

  @Test
  void startRefusesUnknownEnginesAndDevicesThisDeployableCannotProvide() {
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () -> EngineChoice.start(new EngineOptions("tensorflow", "cpu", 0, true)));
    assertEquals(
        "engine must be one of auto, onnxruntime, pytorch, not 'tensorflow'", unknown.getMessage());
    IllegalArgumentException ortGpu =
        assertThrows(
            IllegalArgumentException.class,
            () -> EngineChoice.start(new EngineOptions(ONNXRUNTIME, "gpu", 0, true)));
    assertTrue(ortGpu.getMessage().contains("CPU only"), ortGpu.getMessage());
  }

  /** This module's own classpath carries PyTorch (an optional dependency, present here). */
  @Test
  void pyTorchProviderIsAvailableWhereItsClassesAreAndServesAutoOnCpu() {
    assertTrue(Engine.providers().stream().anyMatch(p -> p.name().equals(PYTORCH)));
    EngineChoice c = EngineChoice.start(new EngineOptions("auto", "cpu", 0, true));
    assertFalse(c.gpu());
    assertTrue(c.gradients());
    Engine e = c.forServing(manifest("model.safetensors"));
    assertEquals(PYTORCH, e.name());
    assertEquals(e, c.forGradients(manifest("model.safetensors")));
  }

  static ModelManifest manifest(String... files) {
    return new ModelManifest(
        ModelManifest.FORMAT,
        "m",
        "1",
        ModelManifest.TASK_EMBEDDING,
        List.of(Capability.ENCODER),
        "bert",
        "mean",
        true,
        128,
        "float32",
        null,
        java.util.Arrays.stream(files).map(f -> new PackageFile(f, 1, "0".repeat(64))).toList(),
        Map.of(),
        Map.of());
  }
}
