package io.maaskit.bench.jlama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The generation benchmark's peer side: Jlama loads the benchmark checkpoint (a Hugging Face
 * safetensors directory) and measures, greedy, with {@code --threads} threads (Jlama's {@code
 * PhysicalCoreExecutor}): decode tokens/s after a short prompt and time to first token for the
 * 256-token prompt. Writes the same JSON shape as the kit's side ({@code
 * io.maaskit.bench.GenerationBench}).
 *
 * <p>Run by {@code scripts/bench} on the Temurin 25 JDK: {@code java --add-modules
 * jdk.incubator.vector -cp ... io.maaskit.bench.jlama.JlamaGeneration --model DIR --threads 2
 * --new-tokens 128 --reps 5 --out jlama-fp32.json}; {@code --quant F32|Q8|Q4} picks the weights
 * (Jlama's own quantization of DIR), {@code --working-quant F32|BF16|I8} the activations' type
 * (default: F32 for F32 weights, I8 for quantized ones, as Jlama runs them), {@code --ttft false}
 * skips the time to first token, {@code --serve true} makes it one side of the kit's paired
 * trials ({@code GenerationPairs}: it decodes on request and writes no {@code --out}).
 */
public final class JlamaGeneration {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static String lastText = "";

  private JlamaGeneration() {}

  public static void main(String[] args) throws Exception {
    Path model = null;
    Path out = null;
    int threads = 2;
    int newTokens = 128;
    int reps = 5;
    String quant = "F32";
    String working = null;
    boolean withTtft = true;
    boolean serve = false;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--model" -> model = Path.of(v);
        case "--out" -> out = Path.of(v);
        case "--threads" -> threads = Integer.parseInt(v);
        case "--new-tokens" -> newTokens = Integer.parseInt(v);
        case "--reps" -> reps = Integer.parseInt(v);
        case "--quant" -> quant = v;
        case "--working-quant" -> working = v;
        case "--ttft" -> withTtft = Boolean.parseBoolean(v);
        case "--serve" -> serve = Boolean.parseBoolean(v);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (model == null || (out == null && !serve)) {
      throw new IllegalArgumentException("need --model DIR and --out FILE");
    }
    // Before anything touches Jlama's executor: its pool size is fixed at first use.
    PhysicalCoreExecutor.overrideThreadCount(threads);

    JsonNode prompts = JSON.readTree(model.resolve("bench-prompts.json").toFile());
    Path weights = quantized(model, quant);
    long t0 = System.nanoTime();
    // Quantized weights compute against int8-quantized activations, as Jlama runs Q8/Q4 models,
    // unless --working-quant names another activation type.
    DType workingQuant =
        working != null ? DType.valueOf(working) : quant.equals("F32") ? DType.F32 : DType.I8;
    AbstractModel m = ModelSupport.loadModel(weights.toFile(), DType.F32, workingQuant);
    double loadMs = (System.nanoTime() - t0) / 1e6;

    ObjectNode r = JSON.createObjectNode();
    r.put("side", "jlama");
    r.put("version", version());
    r.put("threads", PhysicalCoreExecutor.instance.get().getCoreCount());
    r.put("java", System.getProperty("java.runtime.version"));
    r.put("weights_dtype", m.getWeights().getModelDType().name());
    r.put("quantization", quant);
    r.put("load_ms", Math.round(loadMs));
    for (String p : List.of("decode", "ttft")) {
      long[] ids = m.getTokenizer().encode(prompts.path(p).path("text").asText());
      int[] expected = JSON.convertValue(prompts.path(p).path("ids"), int[].class);
      r.put(
          p + "_prompt_tokenizes_as_expected",
          Arrays.equals(Arrays.stream(ids).mapToInt(x -> (int) x).toArray(), expected));
    }

    String decodeText = prompts.path("decode").path("text").asText();
    int decodePrompt = prompts.path("decode").path("ids").size() + 1; // + BOS
    String ttftText = prompts.path("ttft").path("text").asText();
    int ttftPrompt = prompts.path("ttft").path("ids").size() + 1;

    // Warm-up: the JIT compiles the kernels on the first tokens.
    try {
      decode(m, decodeText, decodePrompt, Math.min(32, newTokens));
    } catch (UnsupportedOperationException e) {
      throw new UnsupportedOperationException(unsupported(m, workingQuant, e), e);
    }
    if (serve) {
      serve(m, decodeText, decodePrompt, newTokens);
      m.close();
      return;
    }
    if (withTtft) {
      ttft(m, ttftText, ttftPrompt);
    }

    ObjectNode d = r.putObject("decode");
    d.put("prompt_tokens", decodePrompt);
    d.put("new_tokens", newTokens);
    ArrayNode rates = d.putArray("tokens_per_s");
    List<Double> rs = new ArrayList<>();
    for (int i = 0; i < reps; i++) {
      double[] x = decode(m, decodeText, decodePrompt, newTokens);
      rs.add(x[0]);
      rates.add(round(x[0], 2));
      d.put("generated_tokens", (int) x[1]);
      System.err.printf("[generation] jlama decode #%d: %.2f tokens/s%n", i, x[0]);
    }
    d.put("tokens_per_s_median", round(median(rs), 2));
    d.put("text", lastText);

    if (withTtft) {
      ObjectNode t = r.putObject("ttft");
      t.put("prompt_tokens", ttftPrompt);
      ArrayNode ms = t.putArray("ms");
      List<Double> ts = new ArrayList<>();
      for (int i = 0; i < reps; i++) {
        double x = ttft(m, ttftText, ttftPrompt);
        ts.add(x);
        ms.add(round(x, 1));
        System.err.printf("[generation] jlama ttft #%d: %.1f ms%n", i, x);
      }
      t.put("ms_median", round(median(ts), 1));
    }
    m.close();
    Files.createDirectories(out.toAbsolutePath().getParent());
    JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), r);
  }

  /**
   * One side of the kit's paired decode trials ({@code io.maaskit.bench.GenerationPairs}, whose
   * line protocol this speaks): {@code [pair] ready} once warm, then one greedy decode per {@code
   * decode} line on stdin, answered with {@code [pair] <tokens/s>}, until stdin closes.
   */
  private static void serve(AbstractModel m, String text, int promptTokens, int newTokens)
      throws java.io.IOException {
    var in =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
    System.out.println("[pair] ready");
    System.out.flush();
    for (String line; (line = in.readLine()) != null; ) {
      if (line.strip().equals("decode")) {
        System.out.println("[pair] " + decode(m, text, promptTokens, newTokens)[0]);
        System.out.flush();
      }
    }
  }

  /**
   * Greedy decode of {@code newTokens} tokens after the prompt: tokens/s from the first token to
   * the last (the prefill excluded), and how many tokens the loop produced after the first.
   */
  private static double[] decode(AbstractModel m, String prompt, int promptTokens, int newTokens) {
    long[] first = {0};
    Generator.Response res =
        m.generate(
            UUID.randomUUID(),
            PromptContext.of(prompt),
            0.0f,
            // Jlama's budget counts the prompt: the first token comes from the prefill, then one
            // forward step per further token.
            promptTokens + newTokens,
            (s, f) -> {
              if (first[0] == 0) {
                first[0] = System.nanoTime();
              }
            });
    long end = System.nanoTime();
    lastText = res.responseText;
    return new double[] {res.generatedTokens / ((end - first[0]) / 1e9), res.generatedTokens};
  }

  /** Milliseconds from the call to the first generated token, prompt tokenization included. */
  private static double ttft(AbstractModel m, String prompt, int promptTokens) {
    long[] first = {0};
    long t0 = System.nanoTime();
    m.generate(
        UUID.randomUUID(),
        PromptContext.of(prompt),
        0.0f,
        promptTokens, // no decode step after the first token
        (s, f) -> {
          if (first[0] == 0) {
            first[0] = System.nanoTime();
          }
        });
    return (first[0] - t0) / 1e6;
  }

  /**
   * The checkpoint at {@code quant}: itself for F32, else Jlama's own quantization of it (Q8 is
   * Jlama's I8, blocks of 32 with a float scale; Q4 its Q4, the same blocking), written once
   * beside the checkpoint with Jlama's {@code SafeTensorSupport.quantizeModel}, norms kept float.
   */
  private static Path quantized(Path model, String quant) throws java.io.IOException {
    DType target =
        switch (quant) {
          case "F32" -> null;
          case "Q8" -> DType.I8;
          case "Q4" -> DType.Q4;
          default -> throw new IllegalArgumentException("--quant must be F32, Q8 or Q4");
        };
    if (target == null) {
      return model;
    }
    Path out = model.resolveSibling(model.getFileName() + "-jlama-" + quant);
    if (Files.isRegularFile(out.resolve("model.safetensors"))) {
      return out;
    }
    if (!Files.exists(model.resolve("README.md"))) {
      Files.writeString(model.resolve("README.md"), "random benchmark checkpoint\n");
    }
    Path tmp = model.resolveSibling(model.getFileName() + "-jlama-" + quant + ".tmp");
    if (Files.exists(tmp)) {
      try (var paths = Files.walk(tmp)) {
        for (Path x : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(x);
        }
      }
    }
    com.github.tjake.jlama.safetensors.SafeTensorSupport.quantizeModel(
        model, target, new String[] {"norm"}, null, java.util.Optional.of(tmp));
    Files.copy(model.resolve("bench-prompts.json"), tmp.resolve("bench-prompts.json"));
    Files.move(tmp, out);
    return out;
  }

  /**
   * What a Jlama configuration without a kernel threw, said plainly: the weight and activation
   * types and the Jlama method that refused them (e.g. Q8 weights: Jlama has no matmul for I8
   * weights, only I8 activations against Q4 weights).
   */
  private static String unsupported(AbstractModel m, DType working, Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    StackTraceElement at = root.getStackTrace().length > 0 ? root.getStackTrace()[0] : null;
    return String.format(
        "Jlama %s has no kernel for %s weights with %s activations: %s: %s%s",
        version(),
        m.getWeights().getModelDType(),
        working,
        root.getClass().getSimpleName(),
        root.getMessage(),
        at == null
            ? ""
            : " in " + at.getClassName().replaceFirst(".*\\.", "") + "." + at.getMethodName());
  }

  private static String version() {
    Package p = ModelSupport.class.getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    if (v != null) {
      return v;
    }
    // The jar's file name carries the version when the manifest does not.
    String jar =
        new File(ModelSupport.class.getProtectionDomain().getCodeSource().getLocation().getPath())
            .getName();
    return jar.replaceFirst("^jlama-core-", "").replaceFirst("\\.jar$", "");
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(Double::compare);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static double round(double v, int places) {
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }
}
