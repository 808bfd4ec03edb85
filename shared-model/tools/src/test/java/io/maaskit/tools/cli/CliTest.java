package io.maaskit.tools.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.training.Hyperparameters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Usage, exit codes and messages of the commands behind scripts/*, without loading a model. */
class CliTest {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  static Run run(Object command, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Cli.run(
            command,
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Each command, its script name and flags its documentation (README, docs/) relies on. */
  static Stream<Arguments> commands() {
    return Stream.of(
        Arguments.of(
            (Supplier<Object>) ImportModelCli::new,
            "scripts/import-model",
            List.of(
                "--onnx",
                "--tokenizer",
                "--hf-dir",
                "--builtin",
                "--name",
                "--version",
                "--pooling",
                "--no-normalize",
                "--max-length",
                "--store",
                "--overwrite")),
        Arguments.of(
            (Supplier<Object>) QuantizeCli::new,
            "scripts/quantize",
            List.of(
                "SOURCE",
                "--store",
                "--out-store",
                "--out",
                "--name",
                "--version",
                "--min-cosine",
                "--calibration",
                "--fp32-embeddings",
                "--int8-kernel",
                "--overwrite")),
        Arguments.of(
            (Supplier<Object>) CompileOnnxCli::new,
            "scripts/compile-onnx",
            List.of("PACKAGE", "--store", "--int8-kernel")),
        Arguments.of(
            (Supplier<Object>) PublishModelCli::new,
            "scripts/publish-model",
            List.of("PACKAGE_DIR", "TARGET", "--overwrite", "--part-size", "--concurrency")),
        Arguments.of(
            (Supplier<Object>) TrainCli::new,
            "scripts/train",
            List.of(
                "--model",
                "--data",
                "--name",
                "--eval",
                "--positive-label",
                "--preset",
                "--store",
                "--estimate",
                "--epochs",
                "--batch-size",
                "--lr",
                "--encoder-lr",
                "--weight-decay",
                "--warmup",
                "--schedule",
                "--validation-fraction",
                "--patience",
                "--seed",
                "--max-length",
                "--unfreeze-layers",
                "--encoder-epochs",
                "--class-weighting",
                "--label-smoothing")),
        Arguments.of(
            (Supplier<Object>) EvaluateCli::new,
            "scripts/evaluate",
            List.of("--model", "--data", "--positive-label", "--preset", "--store")),
        Arguments.of(
            (Supplier<Object>) GpuCheckCli::new,
            "scripts/gpu-check",
            List.of("--model", "--store", "--batch", "--rounds")));
  }

  @ParameterizedTest
  @MethodSource("commands")
  void helpPrintsUsageWithEveryFlagOnStdoutAndExits0(
      Supplier<Object> command, String script, List<String> flags) {
    for (String help : List.of("--help", "-h")) {
      Run r = run(command.get(), help);
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().startsWith("Usage: " + script), r.out());
      for (String flag : flags) {
        assertTrue(r.out().contains(flag), script + " --help lacks " + flag + ":\n" + r.out());
      }
      assertEquals("", r.err());
    }
  }

  @ParameterizedTest
  @MethodSource("commands")
  void anUnknownFlagExits2NamingItAndPointingAtHelp(
      Supplier<Object> command, String script, List<String> flags) {
    Run r = run(command.get(), "--bogus");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("error: "), r.err());
    assertTrue(r.err().contains("--bogus"), r.err());
    assertTrue(r.err().contains("Run '" + script + " --help' for usage."), r.err());
    assertEquals("", r.out());
  }

  @Test
  void aFlagGivenTwiceTakesTheLastValue() {
    Run r = run(new GpuCheckCli(), "--batch", "8", "--batch", "0");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--batch and --rounds must be > 0"), r.err());
  }

  @Test
  void storeDefaultIsShownInHelp() {
    assertTrue(run(new QuantizeCli(), "--help").out().contains("here " + Defaults.store()));
  }

  @Test
  void importModelNeedsExactlyOneSource() {
    assertEquals(2, run(new ImportModelCli()).code());
    Run both = run(new ImportModelCli(), "--builtin", "all-minilm-l6-v2", "--hf-dir", "x");
    assertEquals(2, both.code());
    assertTrue(
        both.err().startsWith("error: --hf-dir=DIR, --builtin=NAME are mutually"), both.err());
    Run noTokenizer = run(new ImportModelCli(), "--onnx", "model.onnx");
    assertEquals(2, noTokenizer.code());
    assertTrue(noTokenizer.err().contains("--tokenizer"), noTokenizer.err());
  }

  @Test
  void importModelRejectsBadValuesBeforeDoingAnything() {
    Run pooling = run(new ImportModelCli(), "--builtin", "all-minilm-l6-v2", "--pooling", "max");
    assertEquals(2, pooling.code());
    assertTrue(pooling.err().contains("--pooling"), pooling.err());
    Run maxLength = run(new ImportModelCli(), "--builtin", "all-minilm-l6-v2", "--max-length=x");
    assertEquals(2, maxLength.code());
    assertTrue(maxLength.err().contains("'x' is not an int"), maxLength.err());
    Run unknown = run(new ImportModelCli(), "--builtin", "no-such-model", "--store", s("store"));
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("unknown builtin 'no-such-model'"), unknown.err());
    assertFalse(Files.exists(tmp.resolve("store").resolve("no-such-model")));
  }

  @Test
  void quantizeUsageMistakesExit2() {
    assertEquals(2, run(new QuantizeCli()).code());
    assertEquals(2, run(new QuantizeCli(), "a", "b").code());
    Run both = run(new QuantizeCli(), "m", "--out", s("o"), "--out-store", s("s"));
    assertEquals(2, both.code());
    assertTrue(both.err().contains("mutually exclusive"), both.err());
    Run cosine = run(new QuantizeCli(), "m", "--min-cosine", "1.5");
    assertEquals(2, cosine.code());
    assertTrue(
        cosine.err().contains("error: --min-cosine must be in (0, 1], got 1.5"), cosine.err());
  }

  @Test
  void compileOnnxUsageMistakesExit2() {
    assertEquals(2, run(new CompileOnnxCli()).code());
    Run kernel = run(new CompileOnnxCli(), "m", "--int8-kernel", "fast");
    assertEquals(2, kernel.code());
    assertTrue(kernel.err().contains("blockwise or dynamic"), kernel.err());
  }

  @Test
  void aRuntimeFailureIsOneErrorLineAndExit1() throws Exception {
    Files.createDirectories(tmp.resolve("store"));
    Run r = run(new QuantizeCli(), "no-such-model", "--store", s("store"));
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: "), r.err());
    assertTrue(r.err().contains("no-such-model"), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertEquals("", r.out());
  }

  @Test
  void publishModelChecksItsArguments() throws Exception {
    assertEquals(2, run(new PublishModelCli(), s("pkg")).code());
    Run notAPackage = run(new PublishModelCli(), tmp.toString(), s("store"));
    assertEquals(2, notAPackage.code());
    assertTrue(notAPackage.err().contains("is not a model package"), notAPackage.err());
    Run size = run(new PublishModelCli(), tmp.toString(), "s3://b/p", "--part-size", "lots");
    assertEquals(2, size.code());
    assertTrue(size.err().contains("--part-size") && size.err().contains("16M"), size.err());
  }

  @Test
  void trainNamesTheFlagOfAnInvalidHyperparameter() {
    Run r =
        run(new TrainCli(), "--model", "m", "--data", "d.jsonl", "--name", "n", "--epochs", "0");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("error: --epochs must be > 0, got 0\n"), r.err());
    Run lr = run(new TrainCli(), "--model", "m", "--data", "d", "--name", "n", "--lr", "20");
    assertTrue(lr.err().startsWith("error: --lr must be < 10, got 20.0"), lr.err());
    Run schedule =
        run(new TrainCli(), "--model", "m", "--data", "d", "--name", "n", "--schedule", "step");
    assertTrue(
        schedule.err().startsWith("error: --schedule must be \"cosine\" or \"linear\""),
        schedule.err());
    Run name = run(new TrainCli(), "--model", "m", "--data", "d", "--name", "Bad Name");
    assertEquals(2, name.code());
    assertTrue(name.err().startsWith("error: --name: invalid model name"), name.err());
    Run type = run(new TrainCli(), "--model", "m", "--data", "d", "--name", "n", "--seed", "x");
    assertEquals(2, type.code());
    assertTrue(type.err().contains("'x' is not a long"), type.err());
  }

  @Test
  void trainNeedsModelDataAndNameOrAPreset() {
    Run r = run(new TrainCli(), "--model", "m");
    assertEquals(2, r.code());
    assertTrue(
        r.err().startsWith("error: give --model, --data and --name, or --preset spam-assassin"),
        r.err());
    Run preset = run(new TrainCli(), "--preset", "enron");
    assertEquals(2, preset.code());
    assertTrue(preset.err().contains("unknown preset 'enron'"), preset.err());
  }

  @Test
  void flagsOverrideThePresetAndThePresetOverridesTheDefaults() {
    TrainCli cli = new TrainCli();
    CommandLine cl = new CommandLine(cli);
    cl.setDefaultValueProvider(new TrainCli.HyperparameterDefaults());
    cl.parseArgs("--preset", "spam-assassin", "--max-length", "64", "--epochs", "7");
    Hyperparameters hp = cli.hyperparameters(TrainCli.PRESET_HYPERPARAMETERS);
    assertEquals(64, hp.maxLength());
    assertEquals(7, hp.epochs());
    assertEquals(4, hp.unfreezeLayers());
    assertEquals(0.1, hp.labelSmoothing());
    assertEquals(Hyperparameters.DEFAULTS.batchSize(), hp.batchSize());

    TrainCli plain = new TrainCli();
    new CommandLine(plain).parseArgs("--model", "m");
    assertEquals(Hyperparameters.DEFAULTS, plain.hyperparameters(Hyperparameters.DEFAULTS));
  }

  @Test
  void helpShowsTheHyperparameterDefaultsFromTheRecord() {
    String help = run(new TrainCli(), "--help").out();
    assertTrue(help.contains("(" + Hyperparameters.DEFAULTS.epochs() + ")"), help);
    assertTrue(help.contains("(" + Hyperparameters.DEFAULTS.schedule() + ")"), help);
  }

  @Test
  void evaluateAndGpuCheckUsageMistakesExit2() {
    Run none = run(new EvaluateCli());
    assertEquals(2, none.code());
    assertTrue(none.err().contains("give --model and --data, or --preset spam-assassin"));
    assertEquals(2, run(new EvaluateCli(), "--preset", "enron").code());
    assertEquals(2, run(new GpuCheckCli(), "--batch", "0").code());
    assertEquals(2, run(new GpuCheckCli(), "--rounds", "many").code());
  }

  @Test
  void defaultsFollowMaasHomeThenXdgThenTheUsersCache() {
    Map<String, String> none = Map.of();
    assertEquals(Path.of("/u/.cache/maaskit"), Defaults.home(none::get, "/u"));
    assertEquals(Path.of("/x/maaskit"), Defaults.home(Map.of("XDG_CACHE_HOME", "/x")::get, "/u"));
    Map<String, String> home = Map.of("MAAS_HOME", "/h", "XDG_CACHE_HOME", "/x");
    assertEquals(Path.of("/h"), Defaults.home(home::get, "/u"));
    assertEquals("/h/models", Defaults.store(home::get, "/u"));
    assertEquals(
        "s3://b/p",
        Defaults.store(Map.of("MAAS_MODEL_STORE", "s3://b/p", "MAAS_HOME", "/h")::get, "/u"));
  }

  private String s(String name) {
    return tmp.resolve(name).toString();
  }
}
