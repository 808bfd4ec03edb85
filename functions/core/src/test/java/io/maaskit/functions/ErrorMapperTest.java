package io.maaskit.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.error.IntegrityException;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.ModelNotFoundException;
import io.maaskit.model.error.ModelUnavailableException;
import io.maaskit.model.error.NotSupportedException;
import io.maaskit.model.error.PayloadTooLargeException;
import io.quarkus.funqy.runtime.ApplicationException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The one mapping of core errors to status codes, including through the wrappers Funqy adds. */
class ErrorMapperTest {
  @Test
  void errorBodiesNameTheModelButNoStoreLocation() {
    String[] messages = {
      "model 'm@9' not found in file:///home/me/.cache/maaskit/models/",
      "model 'm@9' not found in s3://private-bucket/models (no s3://private-bucket/models/m/9/x)",
      "file /srv/models/m/1/model.safetensors of model 'm@1' is missing",
    };
    for (String msg : messages) {
      String body = ErrorMapper.map(new ModelNotFoundException(msg)).body().error().message();
      assertFalse(body.contains("private-bucket"), body);
      assertFalse(body.contains("/home/me") || body.contains("/srv/"), body);
      assertTrue(body.contains("'m@"), body);
    }
    assertEquals(
        "model 'm@9' not found in s3://… (no s3://…)",
        ErrorMapper.redact("model 'm@9' not found in s3://b/p (no s3://b/p/m/9/x)"));
    assertEquals("model 'm@9' not found in …", ErrorMapper.redact("model 'm@9' not found in /a/b"));
  }

  @Test
  void statusPerErrorType() {
    assertEquals(400, ErrorMapper.map(new InvalidRequestException("bad")).status());
    assertEquals(413, ErrorMapper.map(new PayloadTooLargeException("big")).status());
    assertEquals(404, ErrorMapper.map(new ModelNotFoundException("nope")).status());
    assertEquals(503, ErrorMapper.map(new IntegrityException("sha")).status());
    ErrorMapper.Mapped notHere =
        ErrorMapper.map(new ApplicationException(new NotSupportedException("needs PyTorch")));
    assertEquals(501, notHere.status());
    assertEquals("not_supported", notHere.body().error().type());
    assertEquals("needs PyTorch", notHere.body().error().message());
    assertNull(notHere.retryAfterSeconds(), "retrying does not help");
    ErrorMapper.Mapped internal = ErrorMapper.map(new IllegalStateException("secret detail"));
    assertEquals(500, internal.status());
    assertFalse(
        internal.body().error().message().contains("secret detail"), "internals stay in the log");
  }

  @Test
  void notReadyIs503WithRetryAfterEvenWhenWrapped() {
    ModelUnavailableException loading =
        new ModelUnavailableException("still loading", Duration.ofSeconds(2));
    ErrorMapper.Mapped m =
        ErrorMapper.map(new ApplicationException(new CompletionException(loading)));
    assertEquals(503, m.status());
    assertEquals(2L, m.retryAfterSeconds());
    assertEquals("still loading", m.body().error().message());
    assertNull(ErrorMapper.map(new InvalidRequestException("x")).retryAfterSeconds());
  }
}
