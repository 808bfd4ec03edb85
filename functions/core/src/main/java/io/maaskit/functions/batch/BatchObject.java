package io.maaskit.functions.batch;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Map;

/**
 * A batch in OpenAI's shape ({@code "object": "batch"}), as {@code GET /v1/batches/{id}} answers
 * it. Mutable: {@link Batches} moves it through its statuses, each change a conditional write of
 * the stored state.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public class BatchObject {
  public String id;
  public String object = "batch";
  public String endpoint;
  public Errors errors;
  public String inputFileId;
  public String completionWindow;
  public String status;
  public String outputFileId;
  public String errorFileId;
  public Long createdAt;
  public Long inProgressAt;
  public Long expiresAt;
  public Long finalizingAt;
  public Long completedAt;
  public Long failedAt;
  public Long expiredAt;
  public Long cancellingAt;
  public Long cancelledAt;
  public Counts requestCounts;
  public Map<String, String> metadata;

  /** {@code request_counts}: requests in the file, answered, failed. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Counts(int total, int completed, int failed) {}

  /** {@code errors}: why validation failed the whole batch. */
  public record Errors(String object, List<Error> data) {
    public static Errors of(List<Error> data) {
      return new Errors("list", data);
    }
  }

  /** One validation error; {@code line} is 1-based, or null for the whole file. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Error(String code, String message, String param, Integer line) {}

  /** Whether no more work will happen on it. */
  public boolean terminal() {
    return switch (status) {
      case "completed", "failed", "expired", "cancelled" -> true;
      default -> false;
    };
  }

  /** {@code GET /v1/batches}. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Page(
      String object, List<BatchObject> data, String firstId, String lastId, boolean hasMore) {}
}
