package io.maaskit.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.functions.CracHooks;
import io.maaskit.functions.ModelServices;
import io.maaskit.functions.SnapStartPriming;
import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.model.registry.ModelRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SnapStart in one JVM: with {@code MAAS_PRELOAD=true} the CRaC hooks the kit registers run as a
 * snapshot and a restore would run them (every {@code beforeCheckpoint} in reverse order, then
 * every {@code afterRestore} in order): the model is loaded and a real API Gateway event primed
 * through the handler before the "snapshot", the restore check runs the loaded model, and the
 * restored handler answers a real API Gateway event with the same vectors as before.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
@TestProfile(SnapStartRestoreTest.Preload.class)
class SnapStartRestoreTest {
  /** {@code MAAS_PRELOAD=true}, as the SAM template and the CDK stack set it with SnapStart. */
  public static class Preload implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("maas.preload", "true");
    }
  }

  @Inject CracHooks hooks;
  @Inject ModelServices services;

  @Test
  void restoredHandlerAnswersAnApiGatewayEventWithTheSameVectors() throws Exception {
    assertTrue(
        hooks.registered().stream().anyMatch(r -> r instanceof SnapStartPriming),
        "the kit registers its priming with CRaC: " + hooks.registered());
    JsonNode before = ApiGatewayEventsTest.invoke("apigw-v2-embed.json");
    assertEquals(200, before.get("statusCode").asInt(), before.toString());

    hooks.checkpointAndRestore();

    ModelRegistry.Status served =
        services.registry().status().stream()
            .filter(s -> s.model().startsWith("all-minilm-l6-v2@"))
            .findFirst()
            .orElseThrow();
    assertEquals(ModelRegistry.State.READY, served.state(), served.toString());
    JsonNode after = ApiGatewayEventsTest.invoke("apigw-v2-embed.json");
    assertEquals(200, after.get("statusCode").asInt(), after.toString());
    JsonNode a = ApiGatewayEventsTest.body(before);
    JsonNode b = ApiGatewayEventsTest.body(after);
    assertEquals(2, b.size());
    assertEquals(384, b.get(0).size());
    for (int i = 0; i < a.size(); i++) {
      for (int k = 0; k < a.get(i).size(); k++) {
        assertEquals(a.get(i).get(k).asDouble(), b.get(i).get(k).asDouble(), 1e-6, "input " + i);
      }
    }
    assertFalse(a.get(0).equals(a.get(1)), "the two inputs have different vectors");
  }

  /** The priming event is a real API Gateway v2 event for the default model. */
  @Test
  void primerSendsThroughTheHandler() throws Exception {
    assertEquals("POST /v1/embeddings -> 200", new ApiGatewayPrimer().prime("all-minilm-l6-v2"));
  }
}
