package io.maaskit.model.task;

import java.util.Map;

/**
 * A function the model may call ({@code tools[].function}); it reaches the model through the
 * package's chat template ({@code tools} variable, Hugging Face style).
 *
 * @param name the function's name
 * @param description what it does, or null
 * @param parameters JSON Schema of its arguments as plain maps and lists, or null for none
 */
public record Tool(String name, String description, Map<String, Object> parameters) {}
