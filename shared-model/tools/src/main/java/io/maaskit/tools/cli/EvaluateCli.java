package io.maaskit.tools.cli;

import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.PackageLoader;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.runtime.RuntimeOptions;
import io.maaskit.model.runtime.TorchRuntime;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.PackageCache;
import io.maaskit.training.DatasetSource;
import io.maaskit.training.Evaluation;
import io.maaskit.training.LabelledDataset;
import io.maaskit.training.corpus.SpamAssassinCorpus;
import java.time.Duration;
import java.util.Set;

/** {@code scripts/evaluate}: scores a classification package on labelled JSONL. */
public final class EvaluateCli {
  static final String USAGE =
      """
      usage: scripts/evaluate --model NAME[@VERSION] --data FILE|s3://bucket/key [options]
             scripts/evaluate --preset spam-assassin [options]

      Classifies every line of a JSONL file ({"text": "...", "label": "..."}) with a classification
      package and prints accuracy, per-label precision / recall / F1, the positive label's F1 and the
      confusion matrix.

        --model NAME          classification package (name or name@version)
        --data LOC            labelled JSONL: a path or s3://bucket/key
        --positive-label L    label whose F1 is the headline number (default spam, when the model has it)
        --preset spam-assassin
                              minilm-spam on $MAAS_HOME/datasets/spam-assassin/eval.jsonl
                              (easy-ham-2, spam-2: mail the model never saw)
        --store LOC           model store (default $MAAS_MODEL_STORE, else ~/.cache/maaskit/models)
      """;

  private EvaluateCli() {}

  public static void main(String[] argv) {
    Args.run(
        USAGE,
        argv,
        () -> {
          Args a =
              Args.parse(
                  argv, Set.of("model", "data", "positive-label", "preset", "store"), Set.of());
          boolean preset = a.has("preset");
          if (preset && !TrainCli.PRESET.equals(a.get("preset", null))) {
            throw new Args.UsageException(
                "unknown preset '" + a.get("preset", null) + "'; known: " + TrainCli.PRESET);
          }
          String model = a.get("model", preset ? TrainCli.PRESET_NAME : null);
          String data =
              a.get(
                  "data",
                  preset
                      ? Defaults.home()
                          .resolve("datasets")
                          .resolve("spam-assassin")
                          .resolve(SpamAssassinCorpus.EVAL_FILE)
                          .toString()
                      : null);
          if (model == null || data == null) {
            throw new Args.UsageException(
                "give --model and --data, or --preset " + TrainCli.PRESET);
          }
          LabelledDataset dataset;
          try (software.amazon.awssdk.services.s3.S3Client s3 = TrainCli.s3For(data)) {
            dataset = LabelledDataset.read(DatasetSource.routing(s3), data);
          }
          try (ModelStore store = Defaults.openStore(a.get("store", Defaults.store()))) {
            TorchRuntime runtime = TorchRuntime.start(RuntimeOptions.defaults());
            PackageLoader loader =
                new PackageLoader(
                    store,
                    new PackageCache(Defaults.home().resolve("cache"), 0),
                    LoadMode.CACHE,
                    runtime);
            RegistryOptions opts =
                new RegistryOptions(
                    Duration.ofMinutes(10), Duration.ofSeconds(2), Duration.ofSeconds(60), 0);
            try (ModelRegistry registry = new ModelRegistry(store, loader, opts)) {
              TextClassifier classifier = registry.get(ModelId.parse(model), TextClassifier.class);
              String positive = a.get("positive-label", null);
              if (positive == null && classifier.labels().contains("spam")) {
                positive = "spam";
              } else if (positive != null && !classifier.labels().contains(positive)) {
                throw new Args.UsageException(
                    "--positive-label '"
                        + positive
                        + "' is not one of the model's labels "
                        + classifier.labels());
              }
              long t0 = System.nanoTime();
              Evaluation e = Evaluation.run(classifier, dataset, TrainCli.console());
              double secs = (System.nanoTime() - t0) / 1e9;
              System.out.printf(
                  "model %s on %s (%.1f s, %.0f texts/s)%n%n",
                  classifier.manifest().id(), data, secs, dataset.size() / secs);
              System.out.print(e.report(positive));
            }
          }
        });
  }
}
