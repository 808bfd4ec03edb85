package io.maaskit.it;

import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.importer.ImportOptions;
import io.maaskit.tools.importer.OnnxBertImporter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Real pretrained weights for tests: the ONNX exports inside LangChain4j's embedding jars (test
 * dependencies from Maven Central), extracted and imported once per build under {@code target/}.
 */
public final class TestModels {
  private static final Path ROOT = Path.of("target", "test-models").toAbsolutePath();

  private TestModels() {}

  /** Extracts a classpath resource (e.g. {@code all-minilm-l6-v2.onnx}) to disk once. */
  public static synchronized Path resource(String name) throws IOException {
    Path out = ROOT.resolve("raw").resolve(name);
    if (Files.isRegularFile(out)) {
      return out;
    }
    Files.createDirectories(out.getParent());
    try (InputStream in = TestModels.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException(
            "test resource " + name + " not on the classpath (LangChain4j embedding jar missing?)");
      }
      Path tmp = out.resolveSibling(name + ".tmp");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
    }
    return out;
  }

  /** An imported package of a LangChain4j ONNX model, e.g. {@code all-minilm-l6-v2}. */
  public static synchronized Path imported(String base, String pooling, int maxLen)
      throws IOException {
    Path dir = ROOT.resolve("packages").resolve(base).resolve("1");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      return dir;
    }
    OnnxBertImporter.importModel(
        resource(base + ".onnx"),
        resource(base + "-tokenizer.json"),
        dir,
        new ImportOptions(base, "1", pooling, true, maxLen),
        Progress.NONE);
    ModelPackage.read(dir);
    return dir;
  }

  /** all-MiniLM-L6-v2 (fp32), mean pooling, 256 tokens. */
  public static Path miniLm() throws IOException {
    return imported("all-minilm-l6-v2", "mean", 256);
  }

  /** bge-small-en-v1.5 (fp32), [CLS] pooling, 512 tokens. */
  public static Path bgeSmall() throws IOException {
    return imported("bge-small-en-v1.5", "cls", 512);
  }

  /** e5-small-v2 (fp32), mean pooling, 512 tokens. */
  public static Path e5Small() throws IOException {
    return imported("e5-small-v2", "mean", 512);
  }

  /** Name of the small classifier {@link #topicClassifier()} trains. */
  public static final String TOPICS = "test-topics";

  /**
   * A real classification package, {@value #TOPICS} (labels {@code sports}, {@code cooking}),
   * trained once per build with the kit's own training job on a frozen all-MiniLM-L6-v2.
   */
  public static synchronized Path topicClassifier() throws Exception {
    Path root = storeRoot();
    Path dir = root.resolve(TOPICS).resolve("1");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      return dir;
    }
    Path data = ROOT.resolve("topics.jsonl");
    StringBuilder jsonl = new StringBuilder();
    String[] sports = {
      "won the match after a late goal",
      "lost the final on penalties",
      "scored twice in the second half",
      "will play the semi-final on Saturday",
      "signed a new striker before the season",
      "kept a clean sheet away from home"
    };
    String[] cooking = {
      "simmer the onions in butter until golden",
      "whisk the eggs with sugar and flour",
      "bake the bread for forty minutes",
      "season the soup with salt and pepper",
      "roast the vegetables with olive oil",
      "knead the dough and let it rest overnight"
    };
    String[] who = {"The team", "Our club", "The visitors", "The champions"};
    for (String w : who) {
      for (int i = 0; i < sports.length; i++) {
        jsonl
            .append("{\"text\": \"")
            .append(w)
            .append(' ')
            .append(sports[i])
            .append(".\", \"label\": \"sports\"}\n");
        jsonl
            .append("{\"text\": \"")
            .append(
                w.replace("The team", "Grandma")
                    .replace("Our club", "The chef")
                    .replace("The visitors", "My neighbour")
                    .replace("The champions", "The baker"))
            .append(" said to ")
            .append(cooking[i])
            .append(".\", \"label\": \"cooking\"}\n");
      }
    }
    Files.writeString(data, jsonl.toString());
    train(root, data, TOPICS);
    return dir;
  }

  /** Name of the small spam filter {@link #spamClassifier()} trains. */
  public static final String SPAM = "test-spam";

  /**
   * A real classification package, {@value #SPAM} (labels {@code ham}, {@code spam}), trained once
   * per build on short mail-like texts with the kit's own training job on a frozen
   * all-MiniLM-L6-v2: the suite's stand-in for the SpamAssassin preset, which takes far too long to
   * train in a test.
   */
  public static synchronized Path spamClassifier() throws Exception {
    Path root = storeRoot();
    Path dir = root.resolve(SPAM).resolve("1");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      return dir;
    }
    String[] spam = {
      "Congratulations, you have won a free cruise: click here to claim your prize now",
      "Lowest prices on pills, no prescription needed, order today and save 80 percent",
      "Make money fast working from home, earn thousands every week guaranteed",
      "You were selected for a cash reward, reply with your bank details to receive it",
      "Limited offer: cheap loans approved instantly, bad credit welcome, act now",
      "Hot singles in your area are waiting, sign up free tonight",
      "Your account will be suspended unless you verify your password at this link",
      "Buy one get three free, exclusive deal expires at midnight, unsubscribe below"
    };
    String[] ham = {
      "Can we move tomorrow's meeting to three o'clock? The room is booked until then",
      "Here are the minutes of last week's design review, comments welcome",
      "The build failed on the integration branch, I am looking at the test logs",
      "Thanks for the patch, I merged it and tagged the release candidate",
      "Are you coming to the team lunch on Friday? We booked the usual place",
      "Attached is the draft of the quarterly report for your review",
      "The server will be down for maintenance on Sunday morning",
      "I pushed a fix for the parser bug you reported yesterday"
    };
    StringBuilder jsonl = new StringBuilder();
    for (String prefix : new String[] {"", "Re: ", "Fwd: "}) {
      for (String t : spam) {
        jsonl.append("{\"text\": \"").append(prefix).append(t).append("\", \"label\": \"spam\"}\n");
      }
      for (String t : ham) {
        jsonl.append("{\"text\": \"").append(prefix).append(t).append("\", \"label\": \"ham\"}\n");
      }
    }
    Path data = ROOT.resolve("spam.jsonl");
    Files.writeString(data, jsonl.toString());
    train(root, data, SPAM);
    return dir;
  }

  private static void train(Path root, Path data, String name) throws Exception {
    io.maaskit.model.store.LocalModelStore store = new io.maaskit.model.store.LocalModelStore(root);
    io.maaskit.training.TrainingJob job =
        new io.maaskit.training.TrainingJob(
            store,
            io.maaskit.model.engine.EagerEngine.start(
                io.maaskit.model.engine.EngineOptions.defaults()),
            io.maaskit.training.DatasetSource.local());
    job.run(
        io.maaskit.training.TrainingRequest.of("all-minilm-l6-v2", data.toString(), name),
        io.maaskit.training.TrainingProgress.NONE);
    // Training writes the graph through its PackageCompiler; where a class-loader split hides that
    // (Quarkus test JVMs), compile it here so every fixture carries model.onnx.
    Path dir = root.resolve(name).resolve("1");
    if (ModelPackage.read(dir).file(io.maaskit.model.arch.EncoderGraph.FILE) == null) {
      io.maaskit.tools.onnx.OnnxCompiler.compile(
          dir, io.maaskit.tools.onnx.CompileOptions.defaults(), Progress.NONE);
    }
  }

  /** Name of {@link #tinyLlama()}. */
  public static final String TINY_LLAMA = "tiny-llama";

  /** Name of {@link #tinyQwen2()}. */
  public static final String TINY_QWEN2 = "tiny-qwen2";

  /** Name of {@link #tinyGpt2()}. */
  public static final String TINY_GPT2 = "tiny-gpt2";

  /**
   * A tiny random {@code LlamaForCausalLM} package (hidden 64, 2 layers, 4 query and 2 key/value
   * heads, tied embeddings, Llama 3 rope scaling; ChatML byte-level BPE tokenizer of {@value
   * TinyDecoders#VOCAB} tokens), imported with the real importer into the test store as {@value
   * #TINY_LLAMA} version 1.
   */
  public static Path tinyLlama() throws IOException {
    return tinyDecoder(TINY_LLAMA, TinyDecoders.Variant.of(TinyDecoders.Kind.LLAMA));
  }

  /** {@link #tinyLlama()}'s network with bf16 weights ({@code tiny-llama-bf16}). */
  public static Path tinyLlamaBf16() throws IOException {
    return tinyDecoder(
        "tiny-llama-bf16", new TinyDecoders.Variant(TinyDecoders.Kind.LLAMA, "BF16", false, false));
  }

  /** {@link #tinyLlama()} stored as two shards with an index ({@code tiny-llama-sharded}). */
  public static Path tinyLlamaSharded() throws IOException {
    return tinyDecoder(
        "tiny-llama-sharded",
        new TinyDecoders.Variant(TinyDecoders.Kind.LLAMA, "F32", true, false));
  }

  /** A tiny random {@code Qwen2ForCausalLM} package (q/k/v biases, separate LM head). */
  public static Path tinyQwen2() throws IOException {
    return tinyDecoder(TINY_QWEN2, TinyDecoders.Variant.of(TinyDecoders.Kind.QWEN2));
  }

  /** A tiny random {@code GPT2LMHeadModel} package ({@code transformer.}-prefixed names). */
  public static Path tinyGpt2() throws IOException {
    return tinyDecoder(TINY_GPT2, TinyDecoders.Variant.of(TinyDecoders.Kind.GPT2));
  }

  /** {@link #tinyGpt2()} without the {@code transformer.} prefix, sharded, in bf16. */
  public static Path tinyGpt2Bf16Sharded() throws IOException {
    return tinyDecoder(
        "tiny-gpt2-bf16-sharded",
        new TinyDecoders.Variant(TinyDecoders.Kind.GPT2, "BF16", true, false));
  }

  /** Name of {@link #tinyQwen2Tools()}. */
  public static final String TINY_QWEN2_TOOLS = "tiny-qwen2-tools";

  /** Name of {@link #tinyLlamaTools()}. */
  public static final String TINY_LLAMA_TOOLS = "tiny-llama-tools";

  /**
   * A tiny random Qwen2 package whose chat template renders tools the Hermes / Qwen2.5 way ({@code
   * <tool_call>} blocks), with a 2048-token context.
   */
  public static Path tinyQwen2Tools() throws IOException {
    return tinyToolsDecoder(
        TINY_QWEN2_TOOLS, TinyDecoders.Kind.QWEN2, TinyDecoders.HERMES_TOOLS_TEMPLATE);
  }

  /**
   * A tiny random Llama package whose chat template renders tools the Llama 3.1 way (JSON calls,
   * {@code ipython} results), with a 2048-token context.
   */
  public static Path tinyLlamaTools() throws IOException {
    return tinyToolsDecoder(
        TINY_LLAMA_TOOLS, TinyDecoders.Kind.LLAMA, TinyDecoders.LLAMA3_TOOLS_TEMPLATE);
  }

  private static synchronized Path tinyToolsDecoder(
      String name, TinyDecoders.Kind kind, String template) throws IOException {
    Path dir = ROOT.resolve("packages").resolve(name).resolve("1");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      return dir;
    }
    Path hf = tinyHfDir(name);
    TinyDecoders.writeWithTools(kind, template, hf, 1000 + kind.ordinal());
    io.maaskit.tools.importer.HfDirectoryImporter.importModel(
        hf, dir, new ImportOptions(name, "1", null, false, null), Progress.NONE);
    ModelPackage.read(dir);
    return dir;
  }

  /** Name of {@link #trainedTinyLlama()}. */
  public static final String TRAINED_TINY_LLAMA = "tiny-llama-trained";

  /** Name of {@link #trainedTinyGpt2()}. */
  public static final String TRAINED_TINY_GPT2 = "tiny-gpt2-trained";

  /**
   * The tiny Llama shape trained by {@link TinyDecoderTrainer} (next-token cross-entropy on {@link
   * TinyDecoderTrainer#corpus()}, seconds), imported with the real importer as {@value
   * #TRAINED_TINY_LLAMA} version 1 under {@code target/test-models/trained/} (outside the test
   * store, so registry tests do not see it). Rebuilt when {@link TinyDecoderTrainer#RECIPE}
   * changes.
   */
  public static Path trainedTinyLlama() throws IOException {
    return trainedTinyDecoder(TRAINED_TINY_LLAMA, TinyDecoders.Kind.LLAMA);
  }

  /** The tiny GPT-2 trained as {@link #trainedTinyLlama()} is ({@value #TRAINED_TINY_GPT2}). */
  public static Path trainedTinyGpt2() throws IOException {
    return trainedTinyDecoder(TRAINED_TINY_GPT2, TinyDecoders.Kind.GPT2);
  }

  private static synchronized Path trainedTinyDecoder(String name, TinyDecoders.Kind kind)
      throws IOException {
    Path root = ROOT.resolve("trained").resolve(name);
    Path dir = root.resolve("1");
    Path stamp = root.resolve("recipe.txt");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))
        && Files.isRegularFile(stamp)
        && Files.readString(stamp).equals(TinyDecoderTrainer.RECIPE)) {
      return dir;
    }
    deleteTree(root);
    Path hf = root.resolve("hf");
    TinyDecoderTrainer.Result r = TinyDecoderTrainer.train(kind, TinyDecoderTrainer.corpus(), hf);
    System.out.printf(
        "trained %s: loss %.3f -> %.3f nats/token on %d tokens in %.1f s%n",
        name, r.initialLoss(), r.finalLoss(), r.tokens(), r.seconds());
    io.maaskit.tools.importer.HfDirectoryImporter.importModel(
        hf, dir, new ImportOptions(name, "1", null, false, null), Progress.NONE);
    ModelPackage.read(dir);
    Files.writeString(stamp, TinyDecoderTrainer.RECIPE);
    return dir;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Name of the tiny random cross-encoder {@link #tinyCrossEncoder()} imports. */
  public static final String TINY_RERANKER = "tiny-reranker";

  /**
   * A tiny random BERT cross-encoder ({@link TinyBert}, one logit), written in Hugging Face layout
   * and imported once per build as {@value #TINY_RERANKER} (a reranker package with its compiled
   * graph; {@value TinyBert#POSITIONS} tokens per pair).
   */
  public static synchronized Path tinyCrossEncoder() throws IOException {
    Path dir = ROOT.resolve("packages").resolve(TINY_RERANKER).resolve("1");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      return dir;
    }
    Path hf = tinyHfDir(TINY_RERANKER);
    TinyBert.writeCrossEncoder(hf, 27);
    io.maaskit.tools.importer.HfDirectoryImporter.importModel(
        hf, dir, new ImportOptions(TINY_RERANKER, "1", "cls", false, null), Progress.NONE);
    ModelPackage.read(dir);
    return dir;
  }

  /** Name of the tiny random token classifier {@link #tinyTokenClassifier()} imports. */
  public static final String TINY_NER = "tiny-ner";

  /** Name of the tiny random question answerer {@link #tinyQuestionAnswerer()} imports. */
  public static final String TINY_QA = "tiny-qa";

  /**
   * A tiny random BERT token classifier ({@link TinyBert#writeTokenClassifier}, labels {@link
   * TinyBert#ENTITY_LABELS}), imported once per build as {@value #TINY_NER} with its graph.
   */
  public static synchronized Path tinyTokenClassifier() throws IOException {
    return tinyBertHead(TINY_NER, hf -> TinyBert.writeTokenClassifier(hf, 31));
  }

  /**
   * A tiny random BERT question answerer ({@link TinyBert#writeQuestionAnswerer}), imported once
   * per build as {@value #TINY_QA} with its graph.
   */
  public static synchronized Path tinyQuestionAnswerer() throws IOException {
    return tinyBertHead(TINY_QA, hf -> TinyBert.writeQuestionAnswerer(hf, 37));
  }

  private interface HfWriter {
    void write(Path dir) throws IOException;
  }

  private static Path tinyBertHead(String name, HfWriter writer) throws IOException {
    Path dir = ROOT.resolve("packages").resolve(name).resolve("1");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      return dir;
    }
    Path hf = tinyHfDir(name);
    writer.write(hf);
    io.maaskit.tools.importer.HfDirectoryImporter.importModel(
        hf, dir, new ImportOptions(name, "1", "cls", false, null), Progress.NONE);
    ModelPackage.read(dir);
    return dir;
  }

  /** Name of the package {@link #tinyEncoder} imports. */
  public static String tinyEncoderName(TinyEncoders.Family family, TinyEncoders.Head head) {
    return "tiny-" + family.modelType + "-" + head.name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * A tiny random RoBERTa, XLM-RoBERTa or DistilBERT checkpoint ({@link TinyEncoders}), written in
   * Hugging Face layout and imported once per build (mean pooling without a head, [CLS] with one)
   * as {@link #tinyEncoderName}, with its compiled graph.
   */
  public static synchronized Path tinyEncoder(TinyEncoders.Family family, TinyEncoders.Head head)
      throws IOException {
    String name = tinyEncoderName(family, head);
    Path dir = ROOT.resolve("packages").resolve(name).resolve("1");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      return dir;
    }
    Path hf = tinyHfDir(name);
    TinyEncoders.write(family, head, hf, 31L * family.ordinal() + head.ordinal());
    String pooling = head == TinyEncoders.Head.NONE ? "mean" : "cls";
    io.maaskit.tools.importer.HfDirectoryImporter.importModel(
        hf, dir, new ImportOptions(name, "1", pooling, false, null), Progress.NONE);
    ModelPackage.read(dir);
    return dir;
  }

  /** The Hugging Face directory a tiny package was imported from. */
  public static Path tinyHfDir(String name) {
    return ROOT.resolve("hf").resolve(name);
  }

  private static synchronized Path tinyDecoder(String name, TinyDecoders.Variant variant)
      throws IOException {
    Path dir = ROOT.resolve("packages").resolve(name).resolve("1");
    if (Files.isRegularFile(dir.resolve(ModelManifest.FILE))) {
      return dir;
    }
    Path hf = tinyHfDir(name);
    // The same seed for every variant of a kind: bf16 and sharded hold the same network.
    TinyDecoders.write(variant, hf, 1000 + variant.kind().ordinal());
    io.maaskit.tools.importer.HfDirectoryImporter.importModel(
        hf, dir, new ImportOptions(name, "1", null, false, null), Progress.NONE);
    ModelPackage.read(dir);
    return dir;
  }

  /**
   * A registry over the test store on the default engines (ONNX Runtime serves packages with a
   * compiled graph, PyTorch computes gradients), caching under {@code target/<cacheDir>}.
   */
  public static io.maaskit.model.registry.ModelRegistry registry(String cacheDir)
      throws IOException {
    return registry(storeRoot(), cacheDir);
  }

  /** {@link #registry(String)} over another store root ({@code <root>/<name>/<version>/}). */
  public static io.maaskit.model.registry.ModelRegistry registry(Path root, String cacheDir) {
    return registry(root, cacheDir, false);
  }

  /**
   * A registry over the test store that serves as the deployables do with {@code MAAS_ENGINE=auto}
   * on a CPU: packages with a compiled graph on ONNX Runtime, PyTorch beside it for gradients.
   */
  public static io.maaskit.model.registry.ModelRegistry servingRegistry(String cacheDir)
      throws IOException {
    return registry(storeRoot(), cacheDir, true);
  }

  /** {@link #servingRegistry(String)} over another store root. */
  public static io.maaskit.model.registry.ModelRegistry servingRegistry(
      Path root, String cacheDir) {
    return registry(root, cacheDir, true);
  }

  private static io.maaskit.model.registry.ModelRegistry registry(
      Path root, String cacheDir, boolean auto) {
    io.maaskit.model.store.LocalModelStore store = new io.maaskit.model.store.LocalModelStore(root);
    io.maaskit.model.store.internal.PackageCache cache =
        new io.maaskit.model.store.internal.PackageCache(Path.of("target", cacheDir), 0);
    io.maaskit.model.registry.LoadMode mode = io.maaskit.model.registry.LoadMode.CACHE;
    io.maaskit.model.registry.internal.PackageLoader loader =
        auto
            ? new io.maaskit.model.registry.internal.PackageLoader(
                store,
                cache,
                mode,
                io.maaskit.model.registry.EngineChoice.start(
                    new io.maaskit.model.engine.EngineOptions("auto", "cpu", 0, true)))
            : new io.maaskit.model.registry.internal.PackageLoader(
                store,
                cache,
                mode,
                io.maaskit.model.engine.EagerEngine.start(
                    io.maaskit.model.engine.EngineOptions.defaults()));
    return new io.maaskit.model.registry.ModelRegistry(
        store, loader, io.maaskit.model.registry.RegistryOptions.defaults());
  }

  /** The root of the test store, {@code <root>/<name>/<version>/}. */
  public static Path storeRoot() throws IOException {
    miniLm();
    return ROOT.resolve("packages");
  }
}
