package io.maaskit.model.arch.huggingface;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.model.arch.GenerationConfig;
import io.maaskit.model.arch.TextTokenizer;
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

  private static final ObjectMapper JSON = new ObjectMapper();
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
    JsonNode cfg = JSON.readTree(config);
    JsonNode gen =
        generation.isPresent() ? JSON.readTree(generation.get()) : JSON.createObjectNode();
    JsonNode tok =
        tokenizerConfig.isPresent()
            ? JSON.readTree(tokenizerConfig.get())
            : JSON.createObjectNode();
    Map<String, String> named = new LinkedHashMap<>();
    for (String key : NAMED) {
      JsonNode n = tok.path(key);
      String s =
          n.isTextual()
              ? n.asText()
              : n.path("content").isTextual() ? n.path("content").asText() : null;
      if (s != null) {
        named.put(key, s);
      }
    }
    Set<Integer> eos = new LinkedHashSet<>(ids(gen.path("eos_token_id")));
    if (eos.isEmpty()) {
      eos.addAll(ids(cfg.path("eos_token_id")));
    }
    if (eos.isEmpty() && named.containsKey("eos_token")) {
      tokenizer.tokenId(named.get("eos_token")).ifPresent(eos::add);
    }
    if (eos.isEmpty()) {
      throw new IOException(
          "no end-of-sequence token: generation_config.json, config.json and"
              + " tokenizer_config.json name none");
    }
    OptionalInt bos = first(ids(gen.path("bos_token_id")));
    if (bos.isEmpty()) {
      bos = first(ids(cfg.path("bos_token_id")));
    }
    if (bos.isEmpty() && named.containsKey("bos_token")) {
      bos = tokenizer.tokenId(named.get("bos_token"));
    }
    Map<String, Double> sampling = new LinkedHashMap<>();
    for (String key : SAMPLING) {
      if (gen.path(key).isNumber()) {
        sampling.put(key, gen.path(key).asDouble());
      }
    }
    if (gen.path("do_sample").isBoolean() && !gen.path("do_sample").asBoolean()) {
      // Greedy by default: what generate() does without do_sample.
      sampling.put("temperature", 0.0);
    }
    return new GenerationConfig(
        new ArrayList<>(eos), bos, chatTemplate(tok.path("chat_template")), named, sampling);
  }

  /** A template string, or the {@code default} one of a list of named templates. */
  private static Optional<String> chatTemplate(JsonNode n) {
    if (n.isTextual()) {
      return Optional.of(n.asText());
    }
    if (n.isArray()) {
      for (JsonNode t : n) {
        if (t.path("name").asText().equals("default")) {
          return Optional.of(t.path("template").asText());
        }
      }
      if (n.size() > 0) {
        return Optional.of(n.get(0).path("template").asText());
      }
    }
    return Optional.empty();
  }

  private static List<Integer> ids(JsonNode n) {
    List<Integer> out = new ArrayList<>();
    if (n.isInt()) {
      out.add(n.asInt());
    } else if (n.isArray()) {
      for (JsonNode e : n) {
        if (e.isInt()) {
          out.add(e.asInt());
        }
      }
    }
    return out;
  }

  private static OptionalInt first(List<Integer> ids) {
    return ids.isEmpty() ? OptionalInt.empty() : OptionalInt.of(ids.get(0));
  }
}
