package io.maaskit.tools.cli;

import io.maaskit.model.arch.Explainable;
import io.maaskit.model.arch.TextClassifier;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.Capability;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.registry.LoadMode;
import io.maaskit.model.registry.ModelRegistry;
import io.maaskit.model.registry.RegistryOptions;
import io.maaskit.model.registry.internal.PackageLoader;
import io.maaskit.model.store.ModelStore;
import io.maaskit.model.store.internal.PackageCache;
import io.maaskit.model.task.ExplainService;
import io.maaskit.tools.explain.Faithfulness;
import io.maaskit.training.DatasetSource;
import io.maaskit.training.Evaluation;
import io.maaskit.training.LabelledDataset;
import io.maaskit.training.corpus.SpamAssassinCorpus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code scripts/evaluate}: scores a classification package on labelled JSONL. */
@Command(
    name = "scripts/evaluate",
    sortOptions = false,
    customSynopsis = {
      "scripts/evaluate --model NAME[@VERSION] --data FILE|s3://bucket/key [options]",
      "       scripts/evaluate --preset spam-assassin [options]"
    },
    description = {
      "Classifies every line of a JSONL file ({\"text\": \"...\", \"label\": \"...\"}) with a",
      "classification package and prints accuracy, per-label precision / recall / F1, the positive",
      "label's F1 and the confusion matrix.",
      "With --explain it measures the explanation methods instead: ERASER comprehensiveness and",
      "sufficiency of Integrated Gradients, gradient x input, attention rollout and a random",
      "ranking on a seeded sample of the texts, and Integrated Gradients' completeness gap.",
      ""
    })
public final class EvaluateCli extends CliCommand {
  @Option(
      names = "--model",
      paramLabel = "NAME",
      description = "classification package (name or name@version)")
  String model;

  @Option(
      names = "--data",
      paramLabel = "LOC",
      description = "labelled JSONL: a path or s3://bucket/key")
  String data;

  @Option(
      names = "--positive-label",
      paramLabel = "L",
      description = "label whose F1 is the headline number (default spam, when the model has it)")
  String positiveLabel;

  @Option(
      names = "--preset",
      paramLabel = TrainCli.PRESET,
      description = {
        "minilm-spam on $MAAS_HOME/datasets/spam-assassin/eval.jsonl",
        "(easy-ham-2, spam-2: mail the model never saw)"
      })
  String preset;

  @Option(
      names = "--store",
      paramLabel = "LOC",
      description = {
        "model store",
        "(default: $MAAS_MODEL_STORE, else $MAAS_HOME/models;",
        "here ${DEFAULT-VALUE})"
      })
  String store;

  @Option(
      names = "--explain",
      description = "measure explanation faithfulness and completeness instead of accuracy")
  boolean explain;

  @Option(
      names = "--explain-texts",
      paramLabel = "N",
      defaultValue = "100",
      description = "texts sampled for --explain (default ${DEFAULT-VALUE})")
  int explainTexts;

  @Option(
      names = "--steps",
      paramLabel = "N",
      description = "Integrated Gradients steps for --explain (default: the service's, 32)")
  Integer steps;

  @Option(
      names = "--gap-steps",
      paramLabel = "LIST",
      split = ",",
      defaultValue = "32",
      description = "steps at which --explain measures completeness (default ${DEFAULT-VALUE})")
  List<Integer> gapSteps;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "42",
      description = "seed of the --explain sample and random ranking (default ${DEFAULT-VALUE})")
  long seed;

  public static void main(String[] args) {
    Cli.exit(new EvaluateCli(), args);
  }

  @Override
  void run() throws Exception {
    boolean isPreset = preset != null;
    if (isPreset && !TrainCli.PRESET.equals(preset)) {
      throw new UsageException("unknown preset '" + preset + "'; known: " + TrainCli.PRESET);
    }
    String modelRef = model != null ? model : isPreset ? TrainCli.PRESET_NAME : null;
    String dataLoc =
        data != null
            ? data
            : isPreset
                ? Defaults.spamAssassinDir().resolve(SpamAssassinCorpus.EVAL_FILE).toString()
                : null;
    if (modelRef == null || dataLoc == null) {
      throw new UsageException("give --model and --data, or --preset " + TrainCli.PRESET);
    }
    LabelledDataset dataset;
    try (software.amazon.awssdk.services.s3.S3Client s3 = TrainCli.s3For(dataLoc)) {
      dataset = LabelledDataset.read(DatasetSource.routing(s3), dataLoc);
    }
    try (ModelStore s = Defaults.openStore(store)) {
      EagerEngine runtime = EagerEngine.start(EngineOptions.defaults());
      PackageLoader loader =
          new PackageLoader(s, new PackageCache(Defaults.cache(), 0), LoadMode.CACHE, runtime);
      RegistryOptions opts =
          new RegistryOptions(
              Duration.ofMinutes(10), Duration.ofSeconds(2), Duration.ofSeconds(60), 0);
      try (ModelRegistry registry = new ModelRegistry(s, loader, opts)) {
        if (explain) {
          explain(registry, modelRef, dataset, dataLoc);
          return;
        }
        TextClassifier classifier =
            registry.get(ModelId.parse(modelRef), Capability.CLASSIFIER, TextClassifier.class);
        String positive = positiveLabel;
        if (positive == null && classifier.labels().contains("spam")) {
          positive = "spam";
        } else if (positive != null && !classifier.labels().contains(positive)) {
          throw new UsageException(
              "--positive-label '"
                  + positive
                  + "' is not one of the model's labels "
                  + classifier.labels());
        }
        long t0 = System.nanoTime();
        Evaluation e = Evaluation.run(classifier, dataset, TrainCli.console());
        double secs = (System.nanoTime() - t0) / 1e9;
        out()
            .printf(
                "model %s on %s (%.1f s, %.0f texts/s)%n%n",
                classifier.manifest().id(), dataLoc, secs, dataset.size() / secs);
        out().print(e.report(positive));
        out().flush();
      }
    }
  }

  private void explain(
      ModelRegistry registry, String modelRef, LabelledDataset dataset, String dataLoc) {
    Explainable m = ExplainService.classifier(registry, modelRef);
    List<String> all = new ArrayList<>(dataset.texts());
    Collections.shuffle(all, new Random(seed));
    List<String> texts = all.subList(0, Math.min(explainTexts, all.size()));
    int n = steps == null ? ExplainService.DEFAULT_STEPS : steps;
    long t0 = System.nanoTime();
    Faithfulness.Report r =
        Faithfulness.run(
            m,
            texts,
            n,
            gapSteps,
            seed,
            line -> {
              err().println(line);
              err().flush();
            });
    out()
        .printf(
            "explanations of %s on %s (seed %d, %.0f s)%n%n",
            m.manifest().id(), dataLoc, seed, (System.nanoTime() - t0) / 1e9);
    out().print(r.markdown());
    out().flush();
  }
}
