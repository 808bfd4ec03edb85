package io.maaskit.model.arch.huggingface;

import static io.maaskit.model.pkg.PackageJson.get;
import static io.maaskit.model.pkg.PackageJson.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.maaskit.model.arch.GenerationConfig;
import io.maaskit.model.arch.TextTokenizer;
import io.maaskit.model.pkg.PackageJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Reads a {@link GenerationConfig} from the files a Hugging Face decoder ships: end-of-sequence and
 * begin-of-sequence ids from {@code generation_config.json} (else {@code config.json}, else the
 * tokenizer's {@code eos_token}), the chat template and named special tokens from {@code
 * tokenizer_config.json}, and the sampling defaults ({@code temperature}, {@code top_p}, {@code
 * top_k}, {@code repetition_penalty}, {@code max_new_tokens}) from {@code generation_config.json}.
 */
public final class HfGenerationConfig {
  /** File names inside a package. */
  public static final String GENERATION_CONFIG = "generation_config.json";

  /** Tokenizer settings (chat template, special tokens). */
  public static final String TOKENIZER_CONFIG = "tokenizer_config.json";

  private static final List<String> SAMPLING =
      List.of("temperature", "top_p", "top_k", "repetition_penalty", "max_new_tokens");
  private static final List<String> NAMED =
      List.of("bos_token", "eos_token", "pad_token", "unk_token");

  private HfGenerationConfig() {}

  /**
   * Reads the generation defaults.
   *
   * @param config {@code config.json}
   * @param generation {@code generation_config.json}, if the package has one
   * @param tokenizerConfig {@code tokenizer_config.json}, if the package has one
   * @param tokenizer resolves token strings to ids
   */
  public static GenerationConfig read(
      byte[] config,
      Optional<byte[]> generation,
      Optional<byte[]> tokenizerConfig,
      TextTokenizer tokenizer)
      throws IOException {
    JsonObject cfg = PackageJson.object(config);
    JsonObject gen =
        generation.isPresent() ? PackageJson.object(generation.get()) : new JsonObject();
    JsonObject tok =
        tokenizerConfig.isPresent() ? PackageJson.object(tokenizerConfig.get()) : new JsonObject();
    Map<String, String> named = new LinkedHashMap<>();
    for (String key : NAMED) {
      JsonElement n = get(tok, key);
      String s = text(n) != null ? text(n) : text(get(n, "content"));
      if (s != null) {
        named.put(key, s);
      }
    }
    Set<Integer> eos = new LinkedHashSet<>(ids(get(gen, "eos_token_id")));
    if (eos.isEmpty()) {
      eos.addAll(ids(get(cfg, "eos_token_id")));
    }
    if (eos.isEmpty() && named.containsKey("eos_token")) {
      tokenizer.tokenId(named.get("eos_token")).ifPresent(eos::add);
    }
    if (eos.isEmpty()) {
      throw new IOException(
          "no end-of-sequence token: generation_config.json, config.json and"
              + " tokenizer_config.json name none");
    }
    OptionalInt bos = first(ids(get(gen, "bos_token_id")));
    if (bos.isEmpty()) {
      bos = first(ids(get(cfg, "bos_token_id")));
    }
    if (bos.isEmpty() && named.containsKey("bos_token")) {
      bos = tokenizer.tokenId(named.get("bos_token"));
    }
    Map<String, Double> sampling = new LinkedHashMap<>();
    for (String key : SAMPLING) {
      Double v = PackageJson.number(get(gen, key));
      if (v != null) {
        sampling.put(key, v);
      }
    }
    if (Boolean.FALSE.equals(PackageJson.bool(get(gen, "do_sample")))) {
      // Greedy by default: what generate() does without do_sample.
      sampling.put("temperature", 0.0);
    }
    return new GenerationConfig(
        new ArrayList<>(eos), bos, chatTemplate(get(tok, "chat_template")), named, sampling);
  }

  /** A template string, or the {@code default} one of a list of named templates. */
  private static Optional<String> chatTemplate(JsonElement n) {
    if (text(n) != null) {
      return Optional.of(text(n));
    }
    if (n.isJsonArray()) {
      for (JsonElement t : n.getAsJsonArray()) {
        if ("default".equals(text(get(t, "name")))) {
          return Optional.of(templateText(t));
        }
      }
      if (!n.getAsJsonArray().isEmpty()) {
        return Optional.of(templateText(n.getAsJsonArray().get(0)));
      }
    }
    return Optional.empty();
  }

  private static String templateText(JsonElement t) {
    String s = text(get(t, "template"));
    return s == null ? "" : s;
  }

  private static List<Integer> ids(JsonElement n) {
    List<Integer> out = new ArrayList<>();
    if (PackageJson.integer(n) != null) {
      out.add(PackageJson.integer(n));
    } else if (n.isJsonArray()) {
      for (JsonElement e : n.getAsJsonArray()) {
        if (PackageJson.integer(e) != null) {
          out.add(PackageJson.integer(e));
        }
      }
    }
    return out;
  }

  private static OptionalInt first(List<Integer> ids) {
    return ids.isEmpty() ? OptionalInt.empty() : OptionalInt.of(ids.get(0));
  }
}
