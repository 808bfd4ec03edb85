package io.maaskit.functions;

import io.maaskit.model.error.IntegrityException;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.error.NotSupportedException;
import io.maaskit.model.error.OverloadedException;
import io.maaskit.model.error.PayloadTooLargeException;
import io.maaskit.model.error.RequestCancelledException;
import io.maaskit.model.error.StoreAccessException;
import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jboss.logging.Logger;

/**
 * The one place where core exceptions become status codes and JSON error bodies, for every
 * deployable: 400 bad input, 404 unknown model, 413 too large, 501 not in this deployable (e.g.
 * {@code /explain} where only ONNX Runtime is carried), 503 not ready (with Retry-After), 500 our
 * bug (logged with its stack, reported without internals).
 */
public final class ErrorMapper {
  private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

  private ErrorMapper() {}

  /** A mapped error: status, JSON body, and Retry-After seconds (or null). */
  public record Mapped(int status, ErrorBody body, Long retryAfterSeconds) {}

  /** {@code {"error": {"message", "type", "status"}}} — the OpenAI error shape. */
  public record ErrorBody(Detail error) {
    /** The error's fields. */
    public record Detail(String message, String type, int status) {}

    public static ErrorBody of(int status, String type, String message) {
      return new ErrorBody(new Detail(message, type, status));
    }
  }

  private static final java.util.regex.Pattern S3_URI =
      java.util.regex.Pattern.compile("s3://[^\\s'\"),;]+");
  private static final java.util.regex.Pattern FILE_URI =
      java.util.regex.Pattern.compile("file:/[^\\s'\"),;]*");
  private static final java.util.regex.Pattern LOCAL_PATH =
      java.util.regex.Pattern.compile("(?:^|(?<=[\\s('\"]))/[^\\s'\"),;]+");

  /**
   * A core message fit for a client: store locations are an operator's business (the log has them),
   * so S3 URIs become {@code s3://…} and local paths {@code …}; model names stay.
   */
  public static String redact(String message) {
    if (message == null) {
      return null;
    }
    String m = S3_URI.matcher(message).replaceAll("s3://…");
    m = FILE_URI.matcher(m).replaceAll("…");
    return LOCAL_PATH.matcher(m).replaceAll("…");
  }

  /** Maps any failure of a function. */
  public static Mapped map(Throwable t) {
    Mapped m = mapUnredacted(t);
    ErrorBody.Detail d = m.body().error();
    return new Mapped(
        m.status(), ErrorBody.of(d.status(), d.type(), redact(d.message())), m.retryAfterSeconds());
  }

  private static Mapped mapUnredacted(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof io.maaskit.model.error.ModelException
        && !(e instanceof InvalidRequestException)) {
      LOG.debugf("%s: %s", e.getClass().getSimpleName(), e.getMessage());
    }
    if (e instanceof PayloadTooLargeException) {
      return new Mapped(413, ErrorBody.of(413, "payload_too_large", e.getMessage()), null);
    }
    if (e instanceof InvalidRequestException) {
      return new Mapped(400, ErrorBody.of(400, "invalid_request_error", e.getMessage()), null);
    }
    if (e instanceof NotSupportedException) {
      return new Mapped(501, ErrorBody.of(501, "not_supported", e.getMessage()), null);
    }
    if (e instanceof ModelNotFoundException) {
      return new Mapped(404, ErrorBody.of(404, "model_not_found", e.getMessage()), null);
    }
    if (e instanceof OverloadedException u) {
      long secs = Math.max(1, u.retryAfter().toSeconds());
      return new Mapped(503, ErrorBody.of(503, "overloaded", e.getMessage()), secs);
    }
    if (e instanceof RequestCancelledException) {
      LOG.debug(e.getMessage());
      return new Mapped(503, ErrorBody.of(503, "request_cancelled", e.getMessage()), 1L);
    }
    if (e instanceof ModelUnavailableException u) {
      long secs = Math.max(1, u.retryAfter().toSeconds());
      return new Mapped(503, ErrorBody.of(503, "model_unavailable", e.getMessage()), secs);
    }
    if (e instanceof IntegrityException) {
      return new Mapped(503, ErrorBody.of(503, "model_integrity_error", e.getMessage()), 60L);
    }
    if (e instanceof StoreAccessException) {
      return new Mapped(503, ErrorBody.of(503, "store_access_denied", e.getMessage()), 60L);
    }
    LOG.error("unhandled error in a function", e);
    return new Mapped(
        500,
        ErrorBody.of(
            500,
            "internal_error",
            "internal error (" + e.getClass().getSimpleName() + "); see the function's log"),
        null);
  }

  /** A 400 for a request body that is not valid JSON. */
  public static Mapped malformedJson(String detail) {
    return new Mapped(
        400,
        ErrorBody.of(
            400,
            "invalid_request_error",
            "request body is not valid JSON" + (detail == null ? "" : ": " + detail)),
        null);
  }

  /** Peels framework wrappers (Funqy's ApplicationException, futures, reflection) off a failure. */
  static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException
            || e instanceof ExecutionException
            || e instanceof InvocationTargetException
            || e instanceof io.quarkus.funqy.runtime.ApplicationException
            || e.getClass() == RuntimeException.class)
        && e.getCause() != null
        && e.getCause() != e) {
      e = e.getCause();
    }
    return e;
  }
}
