package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.it.TestModels;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's OpenAI client ({@code langchain4j-open-ai}) pointed at the kit: an AI service that
 * returns a Java record (LangChain4j sends the record's JSON schema as {@code response_format}),
 * and one that calls a {@code @Tool} method and answers after the tool's result (the tool's
 * specification, the call, and the {@code tool} message with its {@code tool_call_id} all go
 * through the model's chat template).
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class LangChain4jTest {
  @TestHTTPResource("/v1")
  URL base;

  /** What the structured AI service returns. */
  public record City(String name, long population, boolean capital, List<String> districts) {}

  public interface CityExtractor {
    City extract(String text);
  }

  public interface Assistant {
    String chat(String message);
  }

  /** The tool; records what the model asked for. */
  public static final class Weather {
    final List<String> cities = new ArrayList<>();

    @Tool("Gives the current weather in a city")
    public String weather(@P("the city") String city) {
      cities.add(city);
      return "sunny, 21 degrees";
    }
  }

  private OpenAiChatModel model(String name, int seed) {
    return OpenAiChatModel.builder()
        .baseUrl(base.toString())
        .apiKey("unused")
        .modelName(name)
        .temperature(1.0)
        .seed(seed)
        .maxCompletionTokens(120)
        .supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA)
        .strictJsonSchema(true)
        .maxRetries(0)
        .build();
  }

  @Test
  void anAiServiceReturnsARecord() {
    for (String name : List.of(ModelStoreResource.GENERATOR, TestModels.TINY_QWEN2_TOOLS)) {
      for (int seed = 0; seed < 3; seed++) {
        City city =
            AiServices.create(CityExtractor.class, model(name, seed))
                .extract("Paris is the capital of France.");
        // LangChain4j makes object-typed components nullable ("type": ["string", "null"]).
        assertNotNull(city, name + " " + seed);
      }
    }
  }

  /**
   * Forces a tool call while the conversation waits on the user (tool_choice "required"), and lets
   * the model answer once a tool result is in ("auto"): the policy agent frameworks apply so a
   * forced tool choice cannot loop (quarkus-langchain4j resets it after a tool result the same
   * way). A random model needs the first half to call a tool at all.
   */
  static ChatModel callToolFirst(ChatModel openAi) {
    return new ChatModel() {
      @Override
      public ChatResponse doChat(ChatRequest request) {
        boolean answered =
            request.messages().get(request.messages().size() - 1)
                instanceof ToolExecutionResultMessage;
        ChatRequestParameters choice =
            ChatRequestParameters.builder()
                .toolChoice(answered ? ToolChoice.AUTO : ToolChoice.REQUIRED)
                .build();
        return openAi.chat(
            request.toBuilder().parameters(request.parameters().overrideWith(choice)).build());
      }
    };
  }

  @Test
  void anAiServiceCallsAToolThenAnswers() {
    for (String name : List.of(TestModels.TINY_QWEN2_TOOLS, TestModels.TINY_LLAMA_TOOLS)) {
      for (int seed = 0; seed < 3; seed++) {
        Weather weather = new Weather();
        Assistant assistant =
            AiServices.builder(Assistant.class)
                .chatModel(callToolFirst(model(name, seed)))
                .tools(weather)
                .build();
        String answer = assistant.chat("What is the weather in Paris?");
        assertNotNull(answer, name + " " + seed);
        assertEquals(1, weather.cities.size(), name + " " + seed + ": one call, then the answer");
      }
    }
  }
}
