package io.maaskit.model.task;

/**
 * A call of a tool: in a generated choice, or in an assistant message sent back.
 *
 * @param id the call's id ({@code call_…}), which a {@code tool} message's {@code tool_call_id}
 *     answers
 * @param name the function's name
 * @param arguments the arguments as a JSON object text
 */
public record ToolCall(String id, String name, String arguments) {}
