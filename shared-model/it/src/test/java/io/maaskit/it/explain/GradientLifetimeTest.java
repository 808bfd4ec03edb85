package io.maaskit.it.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.maaskit.it.TestModels;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.Explainable.Spans;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.task.ExplainService;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cause of Integrated Gradients' non-finite attributions on real mail: DJL's {@code
 * NDArray.div(Number)} wraps the number in a tensor over a Java direct buffer, without copying, and
 * closes it as soon as the division returns; under autograd the division saves that tensor for the
 * backward pass, so once a garbage collection frees the buffer (the allocator writes its own
 * pointers there) the backward pass divides by garbage. Long inputs allocate more between a forward
 * and its backward, so a collection in between was likely there and rare on short test sentences.
 *
 * <p>This provokes exactly that: a forward pass with grad mode on, then collections and time for
 * the buffers' cleaners to run, then the backward pass. The gradient must be the one computed
 * without the collection, bit for bit, and finite.
 */
class GradientLifetimeTest {
  @BeforeAll
  static void setUp() throws Exception {
    ExplainServiceTest.setUp();
  }

  @Test
  void aCollectionBetweenForwardAndBackwardChangesNoGradient() throws Exception {
    Explainable m = ExplainService.classifier(ExplainServiceTest.registry, TestModels.TOPICS);
    Spans s = m.spans(ExplainServiceTest.SPORTS);
    float[] quiet = gradient(m, s, false);
    float[] collected = gradient(m, s, true);
    for (float v : collected) {
      assertTrue(Float.isFinite(v), "non-finite gradient after a collection");
    }
    assertArrayEquals(quiet, collected, 0f);
  }

  /**
   * d p(label 0) / d input embeddings, optionally with collections between forward and backward.
   */
  static float[] gradient(Explainable m, Spans s, boolean collectInBetween) throws Exception {
    EagerEngine engine = EagerEngine.of(m.engine());
    EagerEngine.Gradients grads = engine.gradients();
    engine.prepareThread();
    try (NDManager mg = engine.newManager()) {
      NDArray x = m.inputEmbeddings(s.tokens().ids(), mg);
      x.setRequiresGradient(true);
      NDArray p;
      boolean prev = grads.gradMode(true);
      try {
        p = m.logitsFromEmbeddings(x, s.tokens()).softmax(-1).get(new NDIndex(":, 0")).sum();
      } finally {
        grads.gradMode(prev);
      }
      if (collectInBetween) {
        for (int i = 0; i < 3; i++) {
          System.gc();
          Thread.sleep(200); // the direct buffers' cleaners run on their own thread
        }
      }
      grads.backward(p);
      return x.getGradient().toFloatArray();
    }
  }
}
