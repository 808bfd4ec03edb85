package io.maaskit.it.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.EncoderGraph;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.LoadedModel;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.arch.Tokens;
import io.maaskit.model.pkg.ModelPackage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A classifier the kit trained ({@link TestModels#topicClassifier()}, fine-tuned on a frozen
 * MiniLM, head with mean pooling) gives the same labels and probabilities within 1e-3 on both
 * engines: PyTorch from the safetensors, ONNX Runtime from the graph training wrote.
 */
class OrtClassifierParityTest {
  @Test
  void sameLabelsAndProbabilitiesOnBothEngines() throws Exception {
    Path dir = TestModels.topicClassifier();
    assertNotNull(
        ModelPackage.read(dir).file(EncoderGraph.FILE), "training wrote the package's graph");
    List<String> texts = new ArrayList<>(OrtFixtures.inputs());
    texts.addAll(
        List.of(
            "The striker scored a hat-trick in the derby.",
            "Fold the egg whites gently into the batter.",
            "The goalkeeper saved a penalty in extra time.",
            "Reduce the sauce over a low heat for ten minutes."));
    try (LoadedModel eager = OrtFixtures.load(dir, OrtFixtures.pytorch());
        LoadedModel graph = OrtFixtures.load(dir, OrtFixtures.onnxRuntime())) {
      assertFalse(graph instanceof Explainable, "ONNX Runtime serves the graph");
      TextClassifier a = (TextClassifier) eager;
      TextClassifier b = (TextClassifier) graph;
      assertEquals(List.of("cooking", "sports"), List.copyOf(new java.util.TreeSet<>(b.labels())));
      assertEquals(a.labels(), b.labels());
      List<Tokens> tokens = a.tokenizeAll(texts);
      List<Tokens> other = b.tokenizeAll(texts);
      for (int i = 0; i < texts.size(); i++) {
        assertArrayEquals(tokens.get(i).ids(), other.get(i).ids(), "tokens of input " + i);
      }
      double worst = 0;
      int sports = 0;
      for (int i = 0; i < texts.size(); i++) {
        // one input at a time: ONNX Runtime runs it unpadded, as it serves single requests
        float[] p = a.classify(List.of(tokens.get(i)))[0];
        float[] q = b.classify(List.of(tokens.get(i)))[0];
        assertEquals(argmax(p), argmax(q), "label of input " + i + " '" + texts.get(i) + "'");
        for (int k = 0; k < p.length; k++) {
          worst = Math.max(worst, Math.abs(p[k] - q[k]));
          assertEquals(p[k], q[k], 1e-3, "input " + i + " label " + a.labels().get(k));
        }
        sports += a.labels().get(argmax(q)).equals("sports") ? 1 : 0;
      }
      // and as one padded batch
      float[][] pb = a.classify(tokens);
      float[][] qb = b.classify(tokens);
      for (int i = 0; i < texts.size(); i++) {
        for (int k = 0; k < pb[i].length; k++) {
          assertEquals(pb[i][k], qb[i][k], 1e-3, "batched input " + i);
        }
      }
      assertTrue(sports > 0 && sports < texts.size(), "the inputs get both labels");
      System.out.printf(
          "topic classifier, %d inputs: same labels, max |p_pytorch - p_ort| %.2e%n",
          texts.size(), worst);
    }
  }

  private static int argmax(float[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      if (p[i] > p[best]) {
        best = i;
      }
    }
    return best;
  }
}
