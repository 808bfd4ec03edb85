package io.maaskit.model.task;

import java.util.List;

/**
 * A request to rank texts by their relevance to a query, whatever protocol carried it.
 *
 * @param model model name (optionally {@code name@version}); null for the service's default
 * @param query the query every text is paired with
 * @param texts the texts (documents) to score, at least one
 * @param truncate whether a pair longer than the model's limit is cut longest-first (true) or
 *     refused (false)
 */
public record RerankRequest(String model, String query, List<String> texts, boolean truncate) {
  public RerankRequest {
    texts = texts == null ? null : List.copyOf(texts);
  }
}
