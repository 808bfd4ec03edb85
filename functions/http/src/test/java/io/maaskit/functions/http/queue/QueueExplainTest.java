package io.maaskit.functions.http.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.functions.StrictJson;
import io.maaskit.functions.protocol.QueueJson;
import io.maaskit.it.TestModels;
import io.maaskit.model.queue.TaskOutput;
import io.maaskit.model.task.ExplainService;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The queue's {@code explain} task answers in the shape of {@code POST /explain}. */
class QueueExplainTest {
  @Test
  @SuppressWarnings("unchecked")
  void queueTaskAnswersInTheHttpShape() throws Exception {
    TestModels.topicClassifier();
    ExplainService svc =
        new ExplainService(
            TestModels.registry("explain-cache"),
            TestModels.TOPICS,
            8,
            ExplainService.DEFAULT_STEPS);
    JsonNode msg =
        StrictJson.mapper()
            .readTree(
                "{\"task\": \"explain\", \"inputs\": [\"The visitors scored twice in the second"
                    + " half and won the derby.\"], \"steps\": 8}");
    TaskOutput out = QueueJson.explain(svc).run(msg);
    assertEquals("explanations", out.field());
    List<Map<String, Object>> rows = (List<Map<String, Object>>) out.value();
    assertEquals("sports", rows.get(0).get("label"));
    assertTrue(rows.get(0).containsKey("completeness_gap"));
    assertTrue(((List<?>) rows.get(0).get("tokens")).size() > 10);
  }
}
