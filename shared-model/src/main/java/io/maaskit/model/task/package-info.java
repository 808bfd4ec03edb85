/**
 * Tasks: the services adapters call ({@link io.maaskit.model.task.EmbeddingService}, {@link
 * io.maaskit.model.task.ClassificationService}), with plain request and result records. Protocol
 * shapes (TEI, OpenAI) and their JSON live in the adapters; batching lives here, in {@code
 * internal}.
 */
package io.maaskit.model.task;
