package io.maaskit.functions.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.ErrorMapper;
import io.maaskit.functions.batch.BatchFiles;
import io.maaskit.functions.batch.BatchNotFoundException;
import io.maaskit.functions.batch.BatchServices;
import io.maaskit.model.error.InvalidRequestException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Files and Batches APIs over HTTP ({@code /v1/files…}, {@code /v1/batches…}), bound on the
 * Vert.x router rather than Funqy: an upload is {@code multipart/form-data} and streams to a
 * temporary file through {@link BatchFiles.Upload}, never whole in memory; the rest takes path
 * parameters. Store work runs on worker threads.
 */
@ApplicationScoped
public class BatchRoutes {
  /** Largest {@code POST /v1/batches} body. */
  static final int MAX_JSON_BYTES = 64 * 1024;

  private final BatchServices services;
  private final HttpGlue glue;
  private final ObjectMapper json;

  public BatchRoutes(BatchServices services, HttpGlue glue, ObjectMapper json) {
    this.services = services;
    this.glue = glue;
    this.json = json;
  }

  void install(@Observes Router router) {
    int order = Integer.MIN_VALUE + 10;
    // Before Quarkus' body handler: an upload must stream through the checks, not be gathered
    // (to memory or to disk) first. Marked as seen, the body handler lets it pass unread.
    router
        .post("/v1/files")
        .order(Integer.MIN_VALUE)
        .handler(
            ctx -> {
              ((io.vertx.ext.web.impl.RoutingContextInternal) ctx)
                  .visitHandler(io.vertx.ext.web.impl.RoutingContextInternal.BODY_HANDLER);
              ctx.next();
            });
    router.post("/v1/files").order(order).handler(this::upload);
    router.get("/v1/files").order(order).handler(ctx -> answer(ctx, () -> listFiles(ctx)));
    router
        .get("/v1/files/:id")
        .order(order)
        .handler(ctx -> answer(ctx, () -> services.files().get(ctx.pathParam("id"))));
    router.get("/v1/files/:id/content").order(order).handler(this::content);
    router
        .delete("/v1/files/:id")
        .order(order)
        .handler(ctx -> answer(ctx, () -> services.files().delete(ctx.pathParam("id"))));
    router.post("/v1/batches").order(order).handler(this::create);
    router.get("/v1/batches").order(order).handler(ctx -> answer(ctx, () -> listBatches(ctx)));
    router
        .get("/v1/batches/:id")
        .order(order)
        .handler(ctx -> answer(ctx, () -> services.batches().get(ctx.pathParam("id"))));
    router
        .post("/v1/batches/:id/cancel")
        .order(order)
        .handler(ctx -> answer(ctx, () -> services.batches().cancel(ctx.pathParam("id"))));
  }

  private Object listFiles(RoutingContext ctx) {
    return services
        .files()
        .list(
            ctx.request().getParam("purpose"),
            intParam(ctx, "limit", 10_000),
            ctx.request().getParam("after"));
  }

  private Object listBatches(RoutingContext ctx) {
    return services.batches().list(intParam(ctx, "limit", 20), ctx.request().getParam("after"));
  }

  private static int intParam(RoutingContext ctx, String name, int dflt) {
    String v = ctx.request().getParam(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new InvalidRequestException("'" + name + "' must be a whole number, not '" + v + "'");
    }
  }

  /** Runs {@code work} off the event loop and writes its result as JSON, or its error. */
  private void answer(RoutingContext ctx, Callable<Object> work) {
    ctx.vertx()
        .executeBlocking(work, false)
        .onComplete(
            r -> {
              if (r.succeeded()) {
                ok(ctx, r.result());
              } else {
                error(ctx, r.cause());
              }
            });
  }

  private void ok(RoutingContext ctx, Object body) {
    try {
      ctx.response()
          .setStatusCode(200)
          .putHeader("Content-Type", "application/json")
          .end(json.writeValueAsString(body));
    } catch (JsonProcessingException e) {
      error(ctx, e);
    }
  }

  private void error(RoutingContext ctx, Throwable t) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ErrorMapper.Mapped m =
        t instanceof BatchNotFoundException
            ? new ErrorMapper.Mapped(
                404, ErrorMapper.ErrorBody.of(404, "not_found", t.getMessage()), null)
            : ErrorMapper.map(t);
    glue.write(ctx, m);
  }

  /** {@code POST /v1/batches}: a small JSON body, gathered by Quarkus' body handler. */
  private void create(RoutingContext ctx) {
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body != null && body.length() > MAX_JSON_BYTES) {
      error(ctx, new InvalidRequestException("the body is over " + MAX_JSON_BYTES + " bytes"));
      return;
    }
    answer(
        ctx,
        () -> {
          JsonNode node;
          try {
            node = body == null || body.length() == 0 ? null : json.readTree(body.getBytes());
          } catch (IOException e) {
            throw new InvalidRequestException("request body is not valid JSON");
          }
          return services.batches().create(node);
        });
  }

  /** {@code POST /v1/files}: the {@code file} part streams through the upload's checks. */
  private void upload(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String type = req.getHeader("Content-Type");
    if (type == null
        || !type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
      glue.write(
          ctx,
          new ErrorMapper.Mapped(
              415,
              ErrorMapper.ErrorBody.of(
                  415,
                  "unsupported_media_type",
                  "POST /v1/files takes multipart/form-data with a 'file' part and purpose=batch"),
              null));
      return;
    }
    BatchFiles files;
    try {
      files = services.files();
    } catch (RuntimeException e) {
      error(ctx, e);
      return;
    }
    AtomicReference<BatchFiles.Upload> upload = new AtomicReference<>();
    AtomicReference<RuntimeException> refused = new AtomicReference<>();
    req.setExpectMultipart(true);
    req.uploadHandler(
        part -> {
          if (!part.name().equals("file") || upload.get() != null || refused.get() != null) {
            part.handler(ignored -> {});
            return;
          }
          BatchFiles.Upload u = files.begin(part.filename());
          upload.set(u);
          part.handler(
              b -> {
                if (refused.get() != null) {
                  return; // discarded: the answer is already decided
                }
                try {
                  u.write(b.getBytes(), 0, b.length());
                } catch (RuntimeException e) {
                  refused.set(e);
                  u.abort();
                }
              });
        });
    req.exceptionHandler(
        e -> {
          BatchFiles.Upload u = upload.get();
          if (u != null) {
            u.abort();
          }
          error(
              ctx,
              new InvalidRequestException(
                  "the multipart form could not be read: "
                      + e.getMessage()
                      + " (send the file as a part with a filename)"));
        });
    req.endHandler(
        v -> {
          BatchFiles.Upload u = upload.get();
          if (refused.get() != null) {
            error(ctx, refused.get());
            return;
          }
          String inline = req.getFormAttribute("file");
          if (u == null && inline != null) {
            // A part without a filename arrives as a (small, size-limited) form attribute.
            u = files.begin("upload.jsonl");
            byte[] b = inline.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            try {
              u.write(b, 0, b.length);
            } catch (RuntimeException e) {
              u.abort();
              error(ctx, e);
              return;
            }
          }
          if (u == null) {
            error(ctx, new InvalidRequestException("no 'file' part in the form"));
            return;
          }
          BatchFiles.Upload whole = u;
          String purpose = req.getFormAttribute("purpose");
          answer(ctx, () -> whole.finish(purpose));
        });
    req.resume();
  }

  /** {@code GET /v1/files/{id}/content}: the bytes, streamed from the store. */
  private void content(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    HttpServerResponse resp = ctx.response();
    ctx.vertx()
        .executeBlocking(
            () -> {
              try (InputStream in = services.files().content(id)) {
                resp.setChunked(true)
                    .setStatusCode(200)
                    .putHeader("Content-Type", "application/jsonl");
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = in.read(buf)) > 0) {
                  while (resp.writeQueueFull() && !resp.closed()) {
                    Thread.sleep(2);
                  }
                  if (resp.closed()) {
                    return null;
                  }
                  resp.write(Buffer.buffer(java.util.Arrays.copyOf(buf, n)));
                }
              }
              resp.end();
              return null;
            },
            false)
        .onFailure(t -> error(ctx, t));
  }
}
