package io.maaskit.model.arch;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a generator package says about generation, read once at load from {@code
 * generation_config.json} and {@code tokenizer_config.json}; requests override the sampling
 * defaults.
 *
 * @param eosTokenIds ids that end a sequence (never empty)
 * @param bosTokenId id added before a prompt when the tokenizer adds special tokens
 * @param chatTemplate the Jinja chat template, if the package has one
 * @param specialTokens named special tokens for templates ({@code bos_token}, {@code eos_token},
 *     ...)
 * @param sampling sampling defaults of the package (absent entries fall back to the service's)
 */
public record GenerationConfig(
    List<Integer> eosTokenIds,
    OptionalInt bosTokenId,
    Optional<String> chatTemplate,
    Map<String, String> specialTokens,
    Map<String, Double> sampling) {
  /** Copies the collections. */
  public GenerationConfig {
    if (eosTokenIds.isEmpty()) {
      throw new IllegalArgumentException("a generator needs at least one end-of-sequence token");
    }
    eosTokenIds = List.copyOf(eosTokenIds);
    specialTokens = Map.copyOf(specialTokens);
    sampling = Map.copyOf(sampling);
  }
}
