package io.maaskit.functions.lambda;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.maaskit.functions.RequestPrimer;
import io.quarkus.amazon.lambda.http.LambdaHttpHandler;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Before a SnapStart snapshot, pushes one API Gateway HTTP API event ({@code POST /v1/embeddings}
 * for the default model, {@value #EVENT}) through Quarkus's Lambda HTTP handler, the same entry
 * point the Lambda runtime calls: the virtual HTTP connection, the routes, JSON binding and the
 * embedding path are then loaded and initialised in the snapshot.
 */
@ApplicationScoped
public class ApiGatewayPrimer implements RequestPrimer {
  /** The event, a classpath resource; its body is replaced by one for the default model. */
  static final String EVENT = "priming/apigw-v2-embeddings.json";

  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  @Override
  public String prime(String model) throws IOException {
    APIGatewayV2HTTPEvent event = event(model);
    // The Lambda context is absent outside an invocation; the handler and LambdaDeadline accept
    // that (no deadline).
    APIGatewayV2HTTPResponse r = new LambdaHttpHandler().handleRequest(event, null);
    if (r.getStatusCode() != 200) {
      throw new IllegalStateException(
          "POST /v1/embeddings answered " + r.getStatusCode() + ": " + r.getBody());
    }
    return "POST /v1/embeddings -> 200";
  }

  /** The priming event, its body asking for {@code model}. */
  static APIGatewayV2HTTPEvent event(String model) throws IOException {
    try (InputStream in = ApiGatewayPrimer.class.getClassLoader().getResourceAsStream(EVENT)) {
      if (in == null) {
        throw new IOException(EVENT + " is missing from the classpath");
      }
      APIGatewayV2HTTPEvent event = JSON.readValue(in, APIGatewayV2HTTPEvent.class);
      event.setBody(
          JSON.writeValueAsString(Map.of("input", "SnapStart priming request", "model", model)));
      return event;
    }
  }
}
