package io.maaskit.it.dev;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.ExplainMethod;
import io.maaskit.model.task.ExplainService;
import io.maaskit.training.corpus.CorpusRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Integrated Gradients' completeness gap per held-out mail at several step counts (only IG, so it
 * is cheap enough to look at the tail): one line per mail with p(x) - p(baseline) and the gap at
 * each {@code -DgapSteps} (default 32,64,128), same sample and model properties as {@link
 * ExplainEvalDev}.
 */
class ExplainGapDev {
  @Test
  void measure() throws Exception {
    int mails = Integer.getInteger("mails", 40);
    int[] steps =
        Arrays.stream(System.getProperty("gapSteps", "32,64,128").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    List<CorpusRecord> eval = new ArrayList<>(ExplainReproDev.heldOut());
    Collections.shuffle(eval, new Random(Long.getLong("seed", 42)));
    ModelRegistry registry =
        TestModels.registry(Path.of(System.getProperty("store")), "explain-gap-cache");
    Explainable m = ExplainService.classifier(registry, System.getProperty("model"));
    for (int t = 0; t < mails; t++) {
      Explainable.Spans s = m.spans(eval.get(t).text());
      float[] p = ExplainService.probabilities(m, s.tokens().ids(), s);
      int label = p[0] >= p[1] ? 0 : 1;
      StringBuilder line = new StringBuilder(String.format("mail %3d len %3d", t, s.length()));
      for (int n : steps) {
        ExplainService.Attribution a =
            ExplainService.attribute(
                (TextClassifier) m, s, ExplainMethod.INTEGRATED_GRADIENTS, label, n);
        double delta = a.score() - a.baseline();
        line.append(
            String.format(
                " | p %.4f base %.4f delta %+.5f gap@%d %.2e rel %.3f%%",
                a.score(), a.baseline(), delta, n, a.gap(), 100 * a.gap() / Math.abs(delta)));
      }
      System.out.println(line);
    }
  }
}
