package io.maaskit.functions.web;

import io.maaskit.functions.CallerCancellation;
import io.maaskit.model.task.Cancellation;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The cancellation of the HTTP request a function serves: Funqy runs the function on a worker
 * thread with the request's {@link RoutingContext} as the current Vert.x request, and {@link
 * HttpGlue} put a {@link Cancellation} there before Funqy's handler ran (set when the client's
 * connection closes, or a deadline a deployable adds, e.g. a Lambda's remaining time).
 */
@ApplicationScoped
public class HttpCancellation implements CallerCancellation {
  @Inject CurrentVertxRequest request;

  @Override
  public Cancellation current() {
    RoutingContext ctx;
    try {
      ctx = request.getCurrent();
    } catch (RuntimeException e) {
      return Cancellation.NONE; // no active request context: not an HTTP call
    }
    if (ctx == null) {
      return Cancellation.NONE;
    }
    Cancellation c = ctx.get(HttpGlue.CANCELLATION);
    return c == null ? Cancellation.NONE : c;
  }
}
