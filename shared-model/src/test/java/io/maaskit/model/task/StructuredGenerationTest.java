package io.maaskit.model.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.maaskit.model.error.InvalidRequestException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Constrained decoding through the generation loop: a generator whose logits are random noise (so
 * only the constraint can make the output JSON), sampled at temperature 1 over many seeds, checked
 * with networknt's JSON Schema validator (not the kit's code).
 */
class StructuredGenerationTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static final String SCHEMA =
      """
      {"type": "object",
       "properties": {
         "name": {"type": "string"},
         "age": {"type": "integer"},
         "score": {"type": "number"},
         "active": {"type": "boolean"},
         "role": {"enum": ["admin", "user", 3, null]},
         "kind": {"const": "person"},
         "nick": {"type": ["string", "null"]},
         "tags": {"type": "array", "items": {"type": "string"}},
         "address": {"$ref": "#/$defs/address"},
         "extra": {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/address"}]},
         "note": {"type": "string", "description": "optional"}
       },
       "required": ["name", "age", "score", "active", "role", "kind", "nick", "tags", "address",
                    "extra"],
       "additionalProperties": false,
       "$defs": {"address": {"type": "object",
                             "properties": {"city": {"type": "string"},
                                            "zip": {"type": "integer"}},
                             "required": ["city", "zip"], "additionalProperties": false}}}
      """;

  private final GenerationService service =
      new GenerationService(
          name -> new ScriptedGenerator(512, StructuredGenerationTest::noise),
          "noise",
          GenerationOptions.defaults());

  @AfterEach
  void close() {
    service.close();
  }

  /** Random logits that depend on the tokens so far: a model with no idea of JSON. */
  static float[] noise(int[] prompt, int[] generated) {
    SplittableRandom r = new SplittableRandom(31L * Arrays.hashCode(generated) + generated.length);
    float[] row = new float[ScriptedGenerator.VOCAB];
    for (int i = 0; i < row.length; i++) {
      row[i] = (float) (r.nextGaussian() * 3);
    }
    return row;
  }

  static Map<String, Object> map(String json) throws Exception {
    return JSON.readValue(json, new TypeReference<>() {});
  }

  private Generation generate(ResponseFormat format, long seed, int maxTokens, int n) {
    SamplingParams p =
        new SamplingParams(maxTokens, 1.0, null, null, seed, null, null, null, null, null, n, null);
    return service.generate(
        GenerateRequest.completion(null, "Give me JSON: ", p).withResponseFormat(format),
        Cancellation.NONE);
  }

  @Test
  void everySeedGivesJsonThatValidates() throws Exception {
    Schema validator =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(SCHEMA, InputFormat.JSON);
    ResponseFormat format = ResponseFormat.jsonSchema("person", map(SCHEMA));
    for (long seed = 0; seed < 50; seed++) {
      Generation g = generate(format, seed, 160, 2);
      for (Generation.Choice c : g.choices()) {
        assertEquals(FinishReason.STOP, c.finishReason(), "seed " + seed + ": " + c.text());
        var errors = validator.validate(c.text(), InputFormat.JSON);
        assertTrue(errors.isEmpty(), "seed " + seed + ": " + c.text() + " -> " + errors);
      }
    }
  }

  @Test
  void jsonObjectAlwaysParsesAsAnObject() throws Exception {
    for (long seed = 0; seed < 50; seed++) {
      Generation.Choice c = generate(ResponseFormat.JSON_OBJECT, seed, 64, 1).choices().get(0);
      assertEquals(FinishReason.STOP, c.finishReason(), c.text());
      assertTrue(JSON.readTree(c.text()).isObject(), c.text());
    }
  }

  @Test
  void tooFewTokensEndWithLength() throws Exception {
    Generation.Choice c =
        generate(ResponseFormat.jsonSchema("person", map(SCHEMA)), 1, 5, 1).choices().get(0);
    assertEquals(FinishReason.LENGTH, c.finishReason());
    assertEquals(5, c.tokens());
  }

  @Test
  void sameSeedSameJson() throws Exception {
    ResponseFormat f = ResponseFormat.jsonSchema("person", map(SCHEMA));
    assertEquals(
        generate(f, 9, 150, 1).choices().get(0).text(),
        generate(f, 9, 150, 1).choices().get(0).text());
  }

  private String rejected(String schema) throws Exception {
    ResponseFormat f = ResponseFormat.jsonSchema("x", map(schema));
    return assertThrows(InvalidRequestException.class, () -> generate(f, 1, 10, 1)).getMessage();
  }

  @Test
  void unsupportedKeywordsAndMalformedSchemasAre400s() throws Exception {
    String m =
        rejected(
            "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"minLength\": 3}}}");
    assertTrue(m.contains("'minLength'") && m.contains("#/properties/a"), m);
    m = rejected("{\"type\": \"object\", \"properties\": {}, \"required\": [\"a\"]}");
    assertTrue(m.contains("'required' names 'a'"), m);
    m = rejected("{\"type\": \"tuple\"}");
    assertTrue(m.contains("unknown type 'tuple'"), m);
    m = rejected("{\"$ref\": \"#/$defs/none\"}");
    assertTrue(m.contains("points at nothing"), m);
    m =
        rejected(
            "{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#\"}}, \"required\": [\"a\"]}");
    assertTrue(m.contains("no finite JSON value"), m);
  }

  @Test
  void toolsNeedATemplateThatRendersThem() {
    SamplingParams p = SamplingParams.greedy(8);
    GenerateRequest r =
        GenerateRequest.chat(null, List.of(new ChatMessage("user", "hi")), p)
            .withTools(
                List.of(new Tool("get_weather", null, Map.of("type", "object"))),
                ToolChoice.REQUIRED);
    InvalidRequestException e =
        assertThrows(InvalidRequestException.class, () -> service.generate(r, Cancellation.NONE));
    assertTrue(e.getMessage().contains("does not render tools"), e.getMessage());
    InvalidRequestException undeclared =
        assertThrows(
            InvalidRequestException.class,
            () ->
                service.generate(
                    r.withTools(r.tools(), ToolChoice.function("nope")), Cancellation.NONE));
    assertTrue(undeclared.getMessage().contains("'nope'"), undeclared.getMessage());
  }
}
