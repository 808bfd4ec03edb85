package io.maaskit.it.dev;

import io.maaskit.it.TestModels;
import io.maaskit.model.engine.EagerEngine;
import io.maaskit.model.engine.EngineOptions;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.Progress;
import io.maaskit.tools.onnx.decoder.BlockQuantized.Rounding;
import io.maaskit.tools.onnx.decoder.LinearPrecision;
import io.maaskit.tools.onnx.decoder.Linears;
import io.maaskit.tools.quant.GeneratorGate;
import io.maaskit.tools.quant.QuantizeOptions;
import io.maaskit.tools.quant.Quantizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which linears of the trained tiny decoders ({@link TestModels#trainedTinyLlama()}, {@link
 * TestModels#trainedTinyGpt2()}) int4 hurts: graphs that put one group of linears (a role in one
 * layer, a role in every layer) at int4 and keep the rest int8, graphs that keep one role at int8
 * and put the rest at int4, and whole-int4 graphs at other block sizes, accuracy levels and
 * roundings; each is gated by the quantizer's own {@link GeneratorGate} (on ONNX Runtime, against
 * float32 on PyTorch, the whole calibration set) with the thresholds relaxed so every candidate is
 * written and measured. Prints one {@code DEV} line per candidate and a Markdown table (also
 * written to {@code target/dev/int4-sensitivity.md}) for docs/performance.md.
 *
 * <p>{@code -Ddev.model=llama|gpt2|both} (default both); {@code -Ddev.quick=true} measures only the
 * role groups and the whole-int4 variants.
 */
class Int4SensitivityDev {
  @Test
  void sensitivity() throws Exception {
    String which = System.getProperty("dev.model", "both");
    boolean quick = Boolean.getBoolean("dev.quick");
    StringBuilder md = new StringBuilder();
    md.append(
        "| Model | Candidate | int4 linears | Top-1 agreement | Mean KL (nats) | Graph bytes |\n");
    md.append("|---|---|---|---|---|---|\n");
    for (String model : which.equals("both") ? List.of("llama", "gpt2") : List.of(which)) {
      Path fp32 =
          model.equals("llama") ? TestModels.trainedTinyLlama() : TestModels.trainedTinyGpt2();
      int layers = layers(fp32);
      Map<String, LinearPrecision> candidates = new LinkedHashMap<>();
      LinearPrecision int8 = LinearPrecision.int8().withRounding(Rounding.ASYMMETRIC_SEARCH);
      LinearPrecision int4 = LinearPrecision.uniformInt4();
      candidates.put("all int4, head int8 (uniform int4)", int4);
      // One role kept at int8, the rest at int4: what keeping it buys.
      for (String role : roles()) {
        candidates.put("int4, " + role + " int8", int4.withLinearBits(role, 8));
      }
      candidates.put("int4 block 16", int4.withBlockSize(16));
      candidates.put("int4 accuracy_level 0", int4.withAccuracyLevel(0));
      // One role at int4, the rest at int8 (the int4 graph's rounding): what it costs alone.
      for (String role : roles()) {
        candidates.put("only " + role + " int4", int8.withLinearBits(role, 4));
      }
      if (!quick) {
        candidates.put("int4 block 64", int4.withBlockSize(64));
        candidates.put("int4 symmetric", int4.withRounding(Rounding.SYMMETRIC));
        candidates.put("int4 asymmetric min/max", int4.withRounding(Rounding.ASYMMETRIC));
        candidates.put("all int4, head float32", int4.withHeadBits(32));
        for (String role : roles()) {
          for (int l = 0; l < layers; l++) {
            candidates.put(
                "only " + role + "." + l + " int4", int8.withLinearBits(role + "." + l, 4));
          }
        }
      }
      for (Map.Entry<String, LinearPrecision> c : candidates.entrySet()) {
        Path out =
            Path.of("target/dev/int4-sensitivity", model + "-" + System.nanoTime())
                .toAbsolutePath();
        Quantizer.Result r =
            new Quantizer(EagerEngine.start(EngineOptions.defaults()))
                .quantize(
                    fp32,
                    out,
                    QuantizeOptions.defaults()
                        .withDecoderPrecision(c.getValue())
                        .withGeneratorGate(0, Double.MAX_VALUE),
                    Progress.NONE);
        GeneratorGate.Result g = r.generatorGate();
        long graph = r.manifest().file("model.onnx").size();
        List<String> four = new ArrayList<>();
        r.manifest()
            .quantization()
            .linears()
            .forEach(
                (name, q) -> {
                  if (q.bits() == 4) {
                    four.add(name);
                  }
                });
        System.out.printf(
            "DEV %s %-40s top-1 %.4f KL %.5f graph %d bytes, scheme %s, int4: %s%n",
            model,
            c.getKey(),
            g.top1Agreement(),
            g.meanKl(),
            graph,
            r.manifest().quantization().scheme(),
            four);
        md.append(
            String.format(
                "| %s | %s | %d of %d | %.4f | %.5f | %d |%n",
                model,
                c.getKey(),
                four.size(),
                r.manifest().quantization().linears().size(),
                g.top1Agreement(),
                g.meanKl(),
                graph));
      }
    }
    Path table = Path.of("target/dev/int4-sensitivity.md");
    Files.createDirectories(table.getParent());
    Files.writeString(table, md);
    System.out.println(md);
  }

  private static List<String> roles() {
    return java.util.Arrays.stream(Linears.Role.values()).map(Linears.Role::label).toList();
  }

  /** The checkpoint's layer count, from its config.json (Llama's or GPT-2's key). */
  private static int layers(Path fp32) throws Exception {
    com.fasterxml.jackson.databind.JsonNode c =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(fp32.resolve("config.json").toFile());
    int n = c.path("num_hidden_layers").asInt(c.path("n_layer").asInt(0));
    if (n == 0) {
      throw new IllegalStateException(
          ModelPackage.read(fp32).id() + ": config.json names no layer count");
    }
    return n;
  }
}
