package io.maaskit.tools.importer;

/**
 * What the user tells an importer beyond the files: the package's name and version, and the
 * sentence-embedding settings the weights alone do not reveal.
 *
 * @param name package name
 * @param version package version
 * @param pooling {@code mean} or {@code cls}; null to detect (sentence-transformers config) or use
 *     mean
 * @param normalize L2-normalize by default
 * @param maxSequenceLength truncation length; null for the model's maximum
 *     (max_position_embeddings)
 */
public record ImportOptions(
    String name, String version, String pooling, boolean normalize, Integer maxSequenceLength) {}
