package io.maaskit.functions.batch;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * An uploaded or produced file in OpenAI's shape ({@code "object": "file"}); {@code purpose} is
 * {@code batch} for uploads, {@code batch_output} for a batch's output and error files.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FileObject(
    String id,
    String object,
    long bytes,
    @JsonProperty("created_at") long createdAt,
    String filename,
    String purpose,
    String status,
    @JsonProperty("expires_at") Long expiresAt) {

  static FileObject of(String id, long bytes, long createdAt, String filename, String purpose) {
    return new FileObject(id, "file", bytes, createdAt, filename, purpose, "processed", null);
  }

  /** {@code GET /v1/files}. */
  public record Page(
      String object,
      List<FileObject> data,
      @JsonProperty("first_id") String firstId,
      @JsonProperty("last_id") String lastId,
      @JsonProperty("has_more") boolean hasMore) {}

  /** {@code DELETE /v1/files/{id}}. */
  public record Deleted(String id, String object, boolean deleted) {}
}
