package io.maaskit.functions.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.functions.StrictJson;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.queue.MessageFormat;
import io.maaskit.model.queue.QueueResult;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The queue's message envelope and result bytes, read and written with the server's mapper. */
class QueueJsonTest {
  final QueueJson format = new QueueJson(StrictJson.mapper());

  @Test
  void resultIsTheEnvelopeThenThePayload() {
    QueueResult r =
        new QueueResult(
            "corr-1",
            "abc-1",
            "embed",
            "all-minilm-l6-v2",
            QueueResult.OK,
            "embeddings",
            new float[][] {{0.5f, -0.25f}},
            7);
    assertEquals(
        "{\"id\":\"corr-1\",\"message_id\":\"abc-1\",\"task\":\"embed\",\"model\":\"all-minilm-l6-v2\","
            + "\"status\":\"ok\",\"duration_ms\":7,\"embeddings\":[[0.5,-0.25]]}",
        new String(format.write(r), StandardCharsets.UTF_8));
    QueueResult noId = new QueueResult(null, "m-2", "embed", null, "error", "error", "bad", 1);
    assertEquals(
        "{\"message_id\":\"m-2\",\"task\":\"embed\",\"status\":\"error\",\"duration_ms\":1,"
            + "\"error\":\"bad\"}",
        new String(format.write(noId), StandardCharsets.UTF_8));
  }

  @Test
  void envelopeIsReadAndMalformedBodiesAreRefusedWithTheFix() {
    MessageFormat.Message<JsonNode> m =
        format.read("{\"id\": \"order-17\", \"task\": \"embed\", \"inputs\": \"a\"}");
    assertEquals("order-17", m.id());
    assertEquals("embed", m.task());
    assertEquals("a", m.body().get("inputs").textValue());
    assertEquals(
        "message body is empty: send a JSON object with \"task\" and \"inputs\"",
        assertThrows(InvalidRequestException.class, () -> format.read(" ")).getMessage());
    String trailing =
        assertThrows(InvalidRequestException.class, () -> format.read("{\"task\": \"embed\"} {}"))
            .getMessage();
    assertTrue(trailing.startsWith("message body is not valid JSON at line 1"), trailing);
    assertEquals(
        "request body must be a JSON object, got an array",
        assertThrows(InvalidRequestException.class, () -> format.read("[1]")).getMessage());
  }
}
