package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.ObjectMappers;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.StructuredChatCompletion;
import com.openai.models.chat.completions.StructuredChatCompletionCreateParams;
import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.it.TestModels;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Structured outputs and tool calls with the official OpenAI Java client against the tiny random
 * generators (Llama and Qwen2 layouts): at temperature 1, every seed's output parses and validates
 * (networknt's validator, not the kit's), forced tool calls name a declared function with valid
 * arguments, streaming gives the same call, and bad schemas or tool choices are 400s.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class StructuredOutputsTest {
  static final String[] MODELS = {ModelStoreResource.GENERATOR, TestModels.TINY_QWEN2_TOOLS};
  static final String[] TOOL_MODELS = {TestModels.TINY_QWEN2_TOOLS, TestModels.TINY_LLAMA_TOOLS};
  static final ObjectMapper JSON = new ObjectMapper();

  @TestHTTPResource("/v1")
  URL base;

  private OpenAIClient client() {
    return OpenAiClientTest.client(base);
  }

  /** The response format: openai-java derives its JSON schema from this class. */
  public static class Person {
    public String name;
    public long age;
    public double height;
    public boolean member;
    public List<String> hobbies;
    public Address address;
  }

  /** A nested object. */
  public static class Address {
    public String city;
    public long zip;
  }

  static Schema validator(Object schema) throws Exception {
    return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
        .getSchema(ObjectMappers.jsonMapper().writeValueAsString(schema), InputFormat.JSON);
  }

  @Test
  void aJavaClassAsResponseFormatAlwaysParsesAndValidates() throws Exception {
    OpenAIClient c = client();
    Schema validator = null;
    for (long seed = 0; seed < 50; seed++) {
      StructuredChatCompletionCreateParams<Person> p =
          ChatCompletionCreateParams.builder()
              .model(MODELS[(int) (seed % 2)])
              .addUserMessage("Describe a person.")
              .responseFormat(Person.class)
              .temperature(1.0)
              .seed(seed)
              .maxCompletionTokens(120)
              .build();
      if (validator == null) {
        validator =
            validator(p.rawParams().responseFormat().orElseThrow().asJsonSchema().jsonSchema());
      }
      StructuredChatCompletion<Person> r = c.chat().completions().create(p);
      Person person = r.choices().get(0).message().content().orElseThrow();
      assertNotNull(person.address, "seed " + seed);
      assertEquals(
          ChatCompletion.Choice.FinishReason.STOP, r.choices().get(0).finishReason(), "" + seed);
      String raw = r.rawChatCompletion().choices().get(0).message().content().orElseThrow();
      var errors = validator.validate(raw, InputFormat.JSON);
      assertTrue(errors.isEmpty(), "seed " + seed + ": " + raw + " -> " + errors);
    }
  }

  @Test
  void jsonObjectAlwaysParses() throws Exception {
    OpenAIClient c = client();
    for (long seed = 0; seed < 50; seed++) {
      ChatCompletion r =
          c.chat()
              .completions()
              .create(
                  ChatCompletionCreateParams.builder()
                      .model(MODELS[(int) (seed % 2)])
                      .addUserMessage("Reply in JSON.")
                      .responseFormat(ResponseFormatJsonObject.builder().build())
                      .temperature(1.0)
                      .seed(seed)
                      .maxCompletionTokens(60)
                      .build());
      String text = r.choices().get(0).message().content().orElseThrow();
      assertTrue(JSON.readTree(text).isObject(), "seed " + seed + ": " + text);
    }
  }

  static final Map<String, Object> WEATHER_PARAMS =
      Map.of(
          "type",
          "object",
          "properties",
          Map.of(
              "city", Map.of("type", "string"),
              "unit", Map.of("enum", List.of("celsius", "fahrenheit"))),
          "required",
          List.of("city", "unit"),
          "additionalProperties",
          false);

  static final Map<String, Object> TIME_PARAMS =
      Map.of(
          "type",
          "object",
          "properties",
          Map.of("zone", Map.of("type", "integer")),
          "required",
          List.of("zone"),
          "additionalProperties",
          false);

  private static FunctionDefinition function(String name, Map<String, Object> params) {
    FunctionParameters.Builder b = FunctionParameters.builder();
    params.forEach((k, v) -> b.putAdditionalProperty(k, JsonValue.from(v)));
    return FunctionDefinition.builder().name(name).description(name).parameters(b.build()).build();
  }

  private static ChatCompletionCreateParams.Builder toolParams(String model, long seed) {
    return ChatCompletionCreateParams.builder()
        .model(model)
        .addUserMessage("What is the weather in Paris?")
        .addFunctionTool(function("get_weather", WEATHER_PARAMS))
        .addFunctionTool(function("get_time", TIME_PARAMS))
        .temperature(1.0)
        .seed(seed)
        .maxCompletionTokens(120);
  }

  private static ChatCompletionToolChoiceOption named(String name) {
    return ChatCompletionToolChoiceOption.ofNamedToolChoice(
        ChatCompletionNamedToolChoice.builder()
            .function(ChatCompletionNamedToolChoice.Function.builder().name(name).build())
            .build());
  }

  @Test
  void requiredAndNamedToolChoicesAlwaysCallADeclaredFunctionWithValidArguments() throws Exception {
    OpenAIClient c = client();
    Map<String, Schema> validators =
        Map.of("get_weather", validator(WEATHER_PARAMS), "get_time", validator(TIME_PARAMS));
    for (long seed = 0; seed < 50; seed++) {
      String model = TOOL_MODELS[(int) (seed % 2)];
      boolean isNamed = seed % 4 >= 2;
      ChatCompletionCreateParams.Builder p = toolParams(model, seed);
      if (isNamed) {
        p.toolChoice(named("get_time"));
      } else {
        p.toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED);
      }
      ChatCompletion r = c.chat().completions().create(p.build());
      ChatCompletion.Choice choice = r.choices().get(0);
      assertEquals(
          ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason(), model + " " + seed);
      List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
      assertEquals(1, calls.size());
      ChatCompletionMessageFunctionToolCall call = calls.get(0).asFunction();
      assertTrue(call.id().startsWith("call_"), call.id());
      String name = call.function().name();
      if (isNamed) {
        assertEquals("get_time", name);
      }
      assertTrue(validators.containsKey(name), name);
      var errors = validators.get(name).validate(call.function().arguments(), InputFormat.JSON);
      assertTrue(errors.isEmpty(), seed + ": " + call.function().arguments() + " -> " + errors);
    }
  }

  @Test
  void streamedToolCallsEqualTheWholeAnswer() {
    OpenAIClient c = client();
    for (String model : TOOL_MODELS) {
      for (long seed = 0; seed < 3; seed++) {
        ChatCompletionCreateParams p =
            toolParams(model, seed)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED)
                .build();
        ChatCompletionMessageFunctionToolCall whole =
            c.chat()
                .completions()
                .create(p)
                .choices()
                .get(0)
                .message()
                .toolCalls()
                .orElseThrow()
                .get(0)
                .asFunction();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = c.chat().completions().createStreaming(p)) {
          s.stream().forEach(chunks::add);
        }
        StringBuilder name = new StringBuilder();
        StringBuilder args = new StringBuilder();
        StringBuilder content = new StringBuilder();
        String finish = null;
        for (ChatCompletionChunk ch : chunks) {
          for (ChatCompletionChunk.Choice choice : ch.choices()) {
            choice.delta().content().ifPresent(content::append);
            choice
                .delta()
                .toolCalls()
                .ifPresent(
                    calls ->
                        calls.forEach(
                            t ->
                                t.function()
                                    .ifPresent(
                                        f -> {
                                          f.name().ifPresent(name::append);
                                          f.arguments().ifPresent(args::append);
                                        })));
            if (choice.finishReason().isPresent()) {
              finish = choice.finishReason().get().asString();
            }
          }
        }
        assertEquals(whole.function().name(), name.toString(), model + " " + seed);
        assertEquals(whole.function().arguments(), args.toString(), model + " " + seed);
        assertEquals("", content.toString(), "a call streams no content");
        assertEquals("tool_calls", finish);
      }
    }
  }

  private int status(ChatCompletionCreateParams p) {
    return assertThrows(BadRequestException.class, () -> client().chat().completions().create(p))
        .statusCode();
  }

  private String message(ChatCompletionCreateParams p) {
    return assertThrows(BadRequestException.class, () -> client().chat().completions().create(p))
        .getMessage();
  }

  private static ResponseFormatJsonSchema schema(Map<String, Object> schema) {
    ResponseFormatJsonSchema.JsonSchema.Schema.Builder b =
        ResponseFormatJsonSchema.JsonSchema.Schema.builder();
    schema.forEach((k, v) -> b.putAdditionalProperty(k, JsonValue.from(v)));
    return ResponseFormatJsonSchema.builder()
        .jsonSchema(
            ResponseFormatJsonSchema.JsonSchema.builder().name("x").schema(b.build()).build())
        .build();
  }

  @Test
  void badSchemasAndToolChoicesAre400s() {
    ChatCompletionCreateParams.Builder base =
        ChatCompletionCreateParams.builder()
            .model(ModelStoreResource.GENERATOR)
            .addUserMessage("Hi")
            .maxCompletionTokens(8);
    String m =
        message(
            base.responseFormat(
                    schema(
                        Map.of(
                            "type",
                            "object",
                            "properties",
                            Map.of("a", Map.of("type", "string", "pattern", "^a+$")))))
                .build());
    assertTrue(m.contains("'pattern'"), m);
    m =
        message(
            base.responseFormat(schema(Map.of("type", "object", "properties", "not-an-object")))
                .build());
    assertTrue(m.contains("'properties' must be an object"), m);
    m =
        message(
            toolParams(TestModels.TINY_QWEN2_TOOLS, 1)
                .toolChoice(named("get_stock_price"))
                .build());
    assertTrue(m.contains("'get_stock_price'"), m);
    m =
        message(
            toolParams(ModelStoreResource.GENERATOR, 1)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED)
                .build());
    assertTrue(m.contains("does not render tools"), m);
    assertEquals(
        400,
        status(
            toolParams(TestModels.TINY_LLAMA_TOOLS, 1)
                .addFunctionTool(
                    function(
                        "bad",
                        Map.of(
                            "type",
                            "object",
                            "properties",
                            Map.of("x", Map.of("type", "string", "format", "email")))))
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED)
                .build()));
  }
}
