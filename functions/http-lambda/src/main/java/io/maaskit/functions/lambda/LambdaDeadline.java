package io.maaskit.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import io.maaskit.functions.web.HttpGlue;
import io.quarkus.vertx.http.runtime.QuarkusHttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;

/**
 * Gives each API Gateway request a deadline: the Lambda's remaining time less a margin to write the
 * answer. A batch that would outlive its invocation stops between sub-batches with a 503 instead of
 * being cut off by the runtime mid-computation. Quarkus's Lambda HTTP bridge hands the Lambda
 * {@link Context} in the virtual request's headers.
 */
@ApplicationScoped
public class LambdaDeadline {
  /** Time kept back to write the response after the last sub-batch. */
  static final Duration MARGIN = Duration.ofMillis(500);

  void install(@Observes Router router) {
    router.route().order(Integer.MIN_VALUE + 1).handler(LambdaDeadline::addDeadline);
  }

  static void addDeadline(RoutingContext ctx) {
    if (ctx.request().headers() instanceof QuarkusHttpHeaders h) {
      Context lambda = h.getContextObject(Context.class);
      // A remaining time of 0 or less is no real invocation's (Quarkus's test harness reports 0).
      if (lambda != null && lambda.getRemainingTimeInMillis() > 0) {
        long ms = Math.max(0, lambda.getRemainingTimeInMillis() - MARGIN.toMillis());
        HttpGlue.addDeadline(ctx, Duration.ofMillis(ms));
      }
    }
    ctx.next();
  }
}
