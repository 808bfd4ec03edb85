package io.maaskit.model.task;

/**
 * Sentence embeddings, one vector per input in input order.
 *
 * @param model the model name that served the request (as the request named it, or the default)
 * @param vectors one vector per input
 * @param promptTokens tokens the model saw, after truncation
 */
public record Embeddings(String model, float[][] vectors, int promptTokens) {}
