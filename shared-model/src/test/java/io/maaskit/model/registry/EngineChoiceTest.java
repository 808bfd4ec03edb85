package io.maaskit.model.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.arch.Architecture;
import io.maaskit.model.arch.Architecture.Form;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.Engine;
import io.maaskit.model.engine.Engine.Capability;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.error.NotSupportedException;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.PackageFile;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every branch of the per-package choice of engine and form, made from capabilities alone, and what
 * each error tells the user to do.
 */
class EngineChoiceTest {
  static final EngineChoice.Candidate GRAPHS =
      new EngineChoice.Candidate("graphs", EnumSet.of(Capability.GRAPHS));
  static final EngineChoice.Candidate EAGER_CPU =
      new EngineChoice.Candidate("eager", EnumSet.of(Capability.EAGER, Capability.GRADIENTS));
  static final EngineChoice.Candidate EAGER_GPU =
      new EngineChoice.Candidate(
          "eager-gpu", EnumSet.of(Capability.EAGER, Capability.GRADIENTS, Capability.GPU));
  static final Set<Form> BOTH_FORMS = EnumSet.of(Form.GRAPH, Form.EAGER);
  static final Set<Form> EAGER_ONLY = EnumSet.of(Form.EAGER);

  static EngineChoice.Pick serve(Set<Form> forms, boolean gpu, EngineChoice.Candidate... cs) {
    return EngineChoice.pick(forms, List.of(cs), gpu, false, "m@1");
  }

  @Test
  void aCpuServesTheGraphOnAnEngineThatRunsGraphsWhateverTheOrder() {
    for (List<EngineChoice.Candidate> cs :
        List.of(List.of(GRAPHS, EAGER_CPU), List.of(EAGER_CPU, GRAPHS), List.of(GRAPHS))) {
      EngineChoice.Pick p = EngineChoice.pick(BOTH_FORMS, cs, false, false, "m@1");
      assertEquals(GRAPHS, p.candidate());
      assertEquals(Form.GRAPH, p.form());
    }
  }

  @Test
  void aGpuServesTheEagerNetworkOnTheGpuEngineEvenWithAGraph() {
    EngineChoice.Pick p = serve(BOTH_FORMS, true, GRAPHS, EAGER_GPU);
    assertEquals(EAGER_GPU, p.candidate());
    assertEquals(Form.EAGER, p.form());
    assertEquals(EAGER_GPU, serve(EAGER_ONLY, true, GRAPHS, EAGER_GPU).candidate());
  }

  @Test
  void aGraphOnlyPackageOnAGpuFallsBackToTheCpuGraphEngine() {
    EngineChoice.Pick p = serve(EnumSet.of(Form.GRAPH), true, GRAPHS, EAGER_GPU);
    assertEquals(GRAPHS, p.candidate());
    assertEquals(Form.GRAPH, p.form());
  }

  @Test
  void aPackageWithoutAGraphRunsEagerly() {
    assertEquals(EAGER_CPU, serve(EAGER_ONLY, false, GRAPHS, EAGER_CPU).candidate());
    EngineChoice.Pick onlyEager = serve(BOTH_FORMS, false, EAGER_CPU);
    assertEquals(EAGER_CPU, onlyEager.candidate());
    assertEquals(Form.EAGER, onlyEager.form());
  }

  @Test
  void graphEnginesAloneRefuseAPackageWithoutAGraphAndSayHowToCompileOne() {
    NotSupportedException e =
        assertThrows(
            NotSupportedException.class,
            () -> EngineChoice.pick(EAGER_ONLY, List.of(GRAPHS), false, false, "minilm@1"));
    assertTrue(e.getMessage().contains("'minilm@1' has no ONNX graph (model.onnx)"));
    assertTrue(e.getMessage().contains("run compiled graphs only"), e.getMessage());
    assertTrue(e.getMessage().contains("scripts/compile-onnx"), e.getMessage());
  }

  @Test
  void eagerEnginesAloneRefuseAGraphOnlyPackageNamingWhatItLacks() {
    NotSupportedException e =
        assertThrows(
            NotSupportedException.class,
            () ->
                EngineChoice.pick(EnumSet.of(Form.GRAPH), List.of(EAGER_CPU), false, false, "m@1"));
    assertTrue(e.getMessage().contains("no weights for an eager network"), e.getMessage());
  }

  @Test
  void gradientsNeedAnEagerEngineWithGradients() {
    EngineChoice.Pick p =
        EngineChoice.pick(BOTH_FORMS, List.of(GRAPHS, EAGER_CPU), false, true, "m");
    assertEquals(EAGER_CPU, p.candidate());
    assertEquals(Form.EAGER, p.form());
    EngineChoice.Candidate eagerNoGrad =
        new EngineChoice.Candidate("inference-only", EnumSet.of(Capability.EAGER));
    assertThrows(
        NotSupportedException.class,
        () -> EngineChoice.pick(BOTH_FORMS, List.of(GRAPHS, eagerNoGrad), false, true, "m"));
    assertEquals(
        eagerNoGrad,
        EngineChoice.pick(EAGER_ONLY, List.of(eagerNoGrad), false, false, "m").candidate());
  }

  @Test
  void aFormReadsOnlyItsOwnFiles() {
    assertTrue(Form.GRAPH.reads("model.onnx"));
    assertFalse(Form.GRAPH.reads("model.safetensors"));
    assertFalse(Form.GRAPH.reads("model-00001-of-00002.safetensors"));
    assertFalse(Form.GRAPH.reads("model.safetensors.index.json"));
    assertTrue(Form.GRAPH.reads("tokenizer.json"));
    assertTrue(Form.EAGER.reads("model.safetensors"));
    assertFalse(Form.EAGER.reads("model.onnx"));
    assertTrue(Form.EAGER.reads("config.json"));
  }

  @Test
  void bertOffersItsGraphWhereThePackageListsOneAndItsNetworkWhereItHasWeights() {
    Architecture bert = Architecture.forName("bert");
    assertEquals(BOTH_FORMS, bert.forms(manifest("model.safetensors", "model.onnx")));
    assertEquals(EAGER_ONLY, bert.forms(manifest("model.safetensors", "tokenizer.json")));
    assertEquals(EAGER_ONLY, bert.forms(manifest("model.safetensors", "onnx/model.onnx")));
    assertEquals(EnumSet.of(Form.GRAPH), bert.forms(manifest("model.onnx", "tokenizer.json")));
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
            () -> EngineChoice.start(new EngineOptions("onnxruntime", "gpu", 0, true)));
    assertTrue(ortGpu.getMessage().contains("CPU only"), ortGpu.getMessage());
  }

  @Test
  void providersDeclareCapabilitiesWithoutStarting() {
    Map<String, Set<Capability>> caps = new java.util.HashMap<>();
    Engine.providers().forEach(p -> caps.put(p.name(), p.capabilities()));
    assertEquals(EnumSet.of(Capability.GRAPHS), caps.get("onnxruntime"));
    assertTrue(
        caps.get("pytorch").containsAll(EnumSet.of(Capability.EAGER, Capability.GRADIENTS)),
        caps.toString());
  }

  /** This module's own classpath carries PyTorch (an optional dependency, present here). */
  @Test
  void anEagerEngineServesAPackageWithoutAGraphAndComputesItsGradients() {
    EngineChoice c = EngineChoice.start(new EngineOptions("auto", "cpu", 0, true));
    assertFalse(c.gpu());
    assertTrue(c.gradients());
    assertFalse(c.servesOnGradientEngine(), "graphs are served on an engine without gradients");
    Engine e = c.forServing(manifest("model.safetensors"));
    assertEquals("pytorch", e.name());
    assertTrue(e instanceof EagerEngine);
    assertEquals(e, c.forGradients(manifest("model.safetensors")));
    assertEquals(e, c.forTraining());
    assertEquals("onnxruntime", c.servingEngine(manifest("model.safetensors", "model.onnx")));
  }

  static ModelManifest manifest(String... files) {
    return new ModelManifest(
        ModelManifest.FORMAT,
        "m",
        "1",
        ModelManifest.TASK_EMBEDDING,
        List.of(io.maaskit.model.pkg.Capability.ENCODER),
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
