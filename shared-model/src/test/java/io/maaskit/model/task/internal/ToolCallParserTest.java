package io.maaskit.model.task.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.task.internal.constraint.Grammars;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Tool calls read from generated text in the Hermes / Qwen2 and Llama 3.1 formats. */
class ToolCallParserTest {
  private final ToolCallParser hermes =
      new ToolCallParser(Grammars.CallFormat.HERMES, Set.of("get_weather", "get_time"));
  private final ToolCallParser llama =
      new ToolCallParser(Grammars.CallFormat.LLAMA3, Set.of("get_weather"));

  @Test
  void hermesBlocksBecomeCallsWithTheArgumentsAsGenerated() {
    ToolCallParser.Parsed p =
        hermes.parse(
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"t\":"
                + " 1.50}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\":"
                + " \"{}\"}\n</tool_call>");
    assertEquals(2, p.calls().size());
    assertEquals("get_weather", p.calls().get(0).name());
    assertEquals("{\"city\": \"Paris\", \"t\": 1.50}", p.calls().get(0).arguments());
    assertEquals("{}", p.calls().get(1).arguments());
    assertTrue(p.calls().get(0).id().startsWith("call_"));
    assertEquals("", p.content());
  }

  @Test
  void textThatIsNoCallOfADeclaredFunctionStaysText() {
    for (String t :
        new String[] {
          "Hello <tool_call>",
          "<tool_call>{\"name\": \"rm_rf\", \"arguments\": {}}</tool_call>",
          "<tool_call>{not json}</tool_call>"
        }) {
      ToolCallParser.Parsed p = hermes.parse(t);
      assertTrue(p.calls().isEmpty(), t);
      assertEquals(t, p.content());
    }
  }

  @Test
  void llamaJsonWithParameters() {
    ToolCallParser.Parsed p =
        llama.parse(
            "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}");
    assertEquals("{\"city\": \"Oslo\"}", p.calls().get(0).arguments());
    assertTrue(llama.parse("{\"a\": 1}").calls().isEmpty());
  }

  @Test
  void aStreamHoldsOnlyWhatMayStillBeACall() {
    assertTrue(hermes.mayBeCall(""));
    assertTrue(hermes.mayBeCall("  <tool"));
    assertTrue(hermes.mayBeCall("<tool_call>\n{\"na"));
    assertFalse(hermes.mayBeCall("Hello"));
    assertFalse(hermes.mayBeCall("<b>"));
    assertTrue(llama.mayBeCall("{"));
    assertFalse(llama.mayBeCall("The"));
  }

  @Test
  void jsonTextRoundTrips() {
    Object v = JsonText.parse("{\"a\": [1, 2.5, true, null, \"x\\n\\u00e9\"], \"b\": {}}");
    assertEquals("{\"a\":[1,2.5,true,null,\"x\\né\"],\"b\":{}}", JsonText.write(v));
  }
}
