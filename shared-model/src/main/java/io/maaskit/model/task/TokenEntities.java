package io.maaskit.model.task;

import java.util.List;

/**
 * The entities of each input, in input order; within one input by start offset.
 *
 * @param model the model name that served the request
 * @param entities per input, its entities ({@code O} left out)
 * @param tokens tokens the model read over all windows
 */
public record TokenEntities(String model, List<List<Entity>> entities, int tokens) {}
