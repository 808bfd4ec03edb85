/**
 * Tasks: the services adapters call ({@link io.maaskit.model.task.EmbeddingService}, {@link
 * io.maaskit.model.task.ClassificationService}, {@link io.maaskit.model.task.GenerationService},
 * {@link io.maaskit.model.task.ExplainService} for classifiers' decisions and generators'
 * completions), with plain request and result records. Protocol shapes (TEI, OpenAI) and their JSON
 * live in the adapters; batching, and the generation loop (sampling, stops, incremental
 * detokenizing, continuous batching) live here, in {@code internal}.
 */
package io.maaskit.model.task;
