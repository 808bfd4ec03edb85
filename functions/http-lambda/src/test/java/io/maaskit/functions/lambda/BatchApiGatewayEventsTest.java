package io.maaskit.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.functions.routes.Routes;
import io.maaskit.functions.testing.ModelStoreResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Files and Batches APIs as the deployed HTTP function sees them: API Gateway HTTP API events
 * (payload 2.0) whose routes are the route table's, an upload arriving whole and base64-encoded in
 * the event as {@code multipart/form-data}, path parameters in {@code rawPath}.
 */
@QuarkusTest
@TestProfile(BatchApiGatewayEventsTest.Profile.class)
class BatchApiGatewayEventsTest {
  public static class Profile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      Map<String, String> c = new LinkedHashMap<>(new ModelStoreResource().start());
      c.put(
          "maas.batch.store",
          Path.of("target", "batch-apigw-" + ProcessHandle.current().pid())
              .toAbsolutePath()
              .toString());
      return c;
    }
  }

  /** An API Gateway v2 event for {@code method path} with the given body and content type. */
  static byte[] event(String method, String path, String contentType, byte[] body)
      throws Exception {
    ObjectNode e =
        (ObjectNode)
            ApiGatewayEventsTest.JSON.readTree(ApiGatewayEventsTest.event("apigw-v2-embed.json"));
    Routes.Route route =
        Routes.matching(path).stream()
            .filter(r -> r.method().name().equals(method))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no route " + method + " " + path));
    e.put("routeKey", route.key()).put("rawPath", path);
    ((ObjectNode) e.get("requestContext")).put("routeKey", route.key());
    ((ObjectNode) e.get("requestContext").get("http")).put("method", method).put("path", path);
    ObjectNode headers = (ObjectNode) e.get("headers");
    headers.remove(List.of("content-length", "content-type"));
    if (body == null) {
      e.remove("body");
      e.put("isBase64Encoded", false);
    } else {
      headers.put("content-type", contentType).put("content-length", "" + body.length);
      e.put("body", Base64.getEncoder().encodeToString(body)).put("isBase64Encoded", true);
    }
    return ApiGatewayEventsTest.JSON.writeValueAsBytes(e);
  }

  static JsonNode call(String method, String path) throws Exception {
    return ApiGatewayEventsTest.invoke(event(method, path, null, null));
  }

  static String text(JsonNode response) {
    String b = response.path("body").asText();
    return response.path("isBase64Encoded").asBoolean(false)
        ? new String(Base64.getDecoder().decode(b), StandardCharsets.UTF_8)
        : b;
  }

  @Test
  void uploadCreatePollAndDownloadThroughApiGatewayEvents() throws Exception {
    String boundary = "----maaskit" + System.nanoTime();
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      jsonl.append(
          "{\"custom_id\": \"r"
              + i
              + "\", \"method\": \"POST\", \"url\": \"/v1/embeddings\", \"body\": {\"input\":"
              + " \"text "
              + i
              + "\"}}\n");
    }
    String form =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"requests.jsonl\""
            + "\r\nContent-Type: application/jsonl\r\n\r\n"
            + jsonl
            + "\r\n--"
            + boundary
            + "--\r\n";
    JsonNode up =
        ApiGatewayEventsTest.invoke(
            event(
                "POST",
                "/v1/files",
                "multipart/form-data; boundary=" + boundary,
                form.getBytes(StandardCharsets.UTF_8)));
    assertEquals(200, up.get("statusCode").asInt(), up.toString());
    JsonNode file = ApiGatewayEventsTest.JSON.readTree(text(up));
    assertEquals("batch", file.get("purpose").asText());
    assertEquals(
        jsonl.toString().getBytes(StandardCharsets.UTF_8).length, file.get("bytes").asInt());
    String fileId = file.get("id").asText();
    assertEquals(
        fileId,
        ApiGatewayEventsTest.JSON
            .readTree(text(call("GET", "/v1/files/" + fileId)))
            .get("id")
            .asText());

    byte[] create =
        ("{\"input_file_id\": \""
                + fileId
                + "\", \"endpoint\": \"/v1/embeddings\", \"completion_window\": \"24h\"}")
            .getBytes(StandardCharsets.UTF_8);
    JsonNode created =
        ApiGatewayEventsTest.invoke(event("POST", "/v1/batches", "application/json", create));
    assertEquals(200, created.get("statusCode").asInt(), created.toString());
    String batchId = ApiGatewayEventsTest.JSON.readTree(text(created)).get("id").asText();
    JsonNode batch;
    long deadline = System.nanoTime() + 120_000_000_000L;
    do {
      Thread.sleep(100);
      batch = ApiGatewayEventsTest.JSON.readTree(text(call("GET", "/v1/batches/" + batchId)));
    } while (!batch.get("status").asText().equals("completed") && System.nanoTime() < deadline);
    assertEquals("completed", batch.get("status").asText(), batch.toString());
    assertEquals(3, batch.at("/request_counts/completed").asInt());

    String out =
        text(call("GET", "/v1/files/" + batch.get("output_file_id").asText() + "/content"));
    String[] lines = out.strip().split("\n");
    assertEquals(3, lines.length, out);
    for (int i = 0; i < 3; i++) {
      JsonNode l = ApiGatewayEventsTest.JSON.readTree(lines[i]);
      assertEquals("r" + i, l.get("custom_id").asText());
      assertEquals(384, l.at("/response/body/data/0/embedding").size());
    }
    JsonNode deleted = call("DELETE", "/v1/files/" + fileId);
    assertEquals(200, deleted.get("statusCode").asInt(), deleted.toString());
    assertEquals(404, call("GET", "/v1/files/" + fileId).get("statusCode").asInt());
  }

  /** Every Files and Batches route of the table reaches its handler, not the 404 of no route. */
  @Test
  void everyBatchRouteOfTheTableIsServed() throws Exception {
    for (Routes.Route route : Routes.apiGateway()) {
      if (route.binding() != Routes.Binding.ROUTER) {
        continue;
      }
      String path =
          route
              .path()
              .replace(
                  "{id}",
                  route.path().contains("batches")
                      ? "batch_000000000000000000000000"
                      : "file-000000000000000000000000");
      JsonNode r =
          route.method() == Routes.Method.POST
              ? ApiGatewayEventsTest.invoke(
                  event("POST", path, "application/json", "{}".getBytes(StandardCharsets.UTF_8)))
              : call(route.method().name(), path);
      String body = text(r);
      assertFalse(body.contains("no route"), route.key() + " -> " + r);
      int status = r.get("statusCode").asInt();
      // a list: 200; an unknown id: 404 naming it; POST /v1/files with JSON: 415; an empty
      // batch: 400 naming the field
      assertTrue(
          status == 200
              || status == 404 && body.contains("000000000000000000000000")
              || status == 415 && body.contains("multipart/form-data")
              || status == 400 && body.contains("input_file_id"),
          route.key() + " -> " + r);
    }
  }
}
