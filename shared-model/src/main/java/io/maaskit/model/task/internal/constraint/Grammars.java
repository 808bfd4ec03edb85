package io.maaskit.model.task.internal.constraint;

import io.maaskit.model.error.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds the {@link Grammar}s requests ask for; every 400 about a schema is thrown here. */
public final class Grammars {
  private Grammars() {}

  /** Any JSON object ({@code response_format: json_object}). */
  public static Grammar jsonObject() {
    Grammar.Nodes nodes = new Grammar.Nodes();
    Grammar.Obj root = SchemaCompiler.anyObject(nodes);
    return new Grammar(List.of(root), true, nodes.all);
  }

  /**
   * A JSON value that validates against {@code schema}.
   *
   * @param schema the schema as plain maps and lists
   * @param what names it in messages
   * @throws InvalidRequestException for an unsupported keyword or a malformed schema
   */
  public static Grammar schema(Map<String, Object> schema, String what) {
    Grammar.Nodes nodes = new Grammar.Nodes();
    Grammar.Node root = new SchemaCompiler(schema, what, nodes).compile();
    return finite(new Grammar(List.of(root), true, nodes.all), what);
  }

  /** A function a tool call may name and the schema of its arguments (null: any object). */
  public record Function(String name, Map<String, Object> parameters) {}

  /** How a model family writes one tool call. */
  public enum CallFormat {
    /** Hermes / Qwen2: {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}. */
    HERMES("<tool_call>\n", "arguments", "\n</tool_call>"),
    /** Llama 3.1: {@code {"name": ..., "parameters": {...}}}. */
    LLAMA3("", "parameters", "");

    final String open;
    final String argumentsKey;
    final String close;

    CallFormat(String open, String argumentsKey, String close) {
      this.open = open;
      this.argumentsKey = argumentsKey;
      this.close = close;
    }

    /** The text that begins a call ({@code <tool_call>} or <code>{</code>). */
    public String marker() {
      return open.isEmpty() ? "{" : open.strip();
    }

    /** The key that holds the arguments. */
    public String argumentsKey() {
      return argumentsKey;
    }
  }

  /**
   * One call of one of {@code functions}, in {@code format}, with arguments valid for it.
   *
   * @throws InvalidRequestException for an unsupported or malformed parameters schema
   */
  public static Grammar toolCall(List<Function> functions, CallFormat format) {
    Grammar.Nodes nodes = new Grammar.Nodes();
    List<Grammar.Node> calls = new ArrayList<>();
    for (Function f : functions) {
      String what = "tools[" + f.name() + "].function.parameters";
      Grammar.Node args =
          f.parameters() == null
              ? SchemaCompiler.anyObject(nodes)
              : new SchemaCompiler(f.parameters(), what, nodes).compile();
      calls.add(
          nodes.add(
              new Grammar.Obj(
                  List.of(
                      new Grammar.Prop(
                          "name",
                          nodes.add(new Grammar.Lit(List.of(Literals.jsonString(f.name())))),
                          true),
                      new Grammar.Prop(format.argumentsKey, args, true)),
                  false)));
    }
    List<Grammar.Node> seq = new ArrayList<>();
    if (!format.open.isEmpty()) {
      seq.add(nodes.add(Grammar.Lit.raw(format.open)));
    }
    seq.add(calls.size() == 1 ? calls.get(0) : nodes.add(new Grammar.AnyOf(calls)));
    if (!format.close.isEmpty()) {
      seq.add(nodes.add(Grammar.Lit.raw(format.close)));
    }
    return finite(new Grammar(seq, false, nodes.all), "tools");
  }

  private static Grammar finite(Grammar g, String what) {
    if (g.minLength() >= Grammar.INFINITE) {
      throw new InvalidRequestException(
          "'"
              + what
              + "' allows no finite JSON value: a required property refers back to its own object");
    }
    return g;
  }
}
