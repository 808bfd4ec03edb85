package io.maaskit.model.task;

import io.maaskit.model.error.InvalidRequestException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How token predictions become entities, as Hugging Face's {@code TokenClassificationPipeline}
 * names and defines them: {@link #NONE} keeps every token; {@link #SIMPLE} groups adjacent tokens
 * of one entity type (a {@code B-} tag starts a new group); {@link #FIRST}, {@link #AVERAGE} and
 * {@link #MAX} first merge each word's sub-word tokens into one prediction (the first token's, the
 * mean of the tokens' distributions, or the most confident token's) and then group words like
 * {@link #SIMPLE}.
 */
public enum AggregationStrategy {
  NONE,
  SIMPLE,
  FIRST,
  AVERAGE,
  MAX;

  /** The key as requests spell it. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The strategy of a request's {@code aggregation_strategy}. */
  public static AggregationStrategy of(String key) {
    for (AggregationStrategy s : values()) {
      if (s.key().equals(key)) {
        return s;
      }
    }
    throw new InvalidRequestException(
        "'aggregation_strategy' must be one of "
            + Arrays.stream(values())
                .map(AggregationStrategy::key)
                .collect(Collectors.joining(", "))
            + ", got '"
            + key
            + "'");
  }
}
